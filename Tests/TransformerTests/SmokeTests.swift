import Testing
import Transformer

@Suite struct SmokeTests {
    @Test func architecturesAreKnown() throws {
        #expect(try Architecture.named("llama").rotary == .adjacentPairs)
        #expect(throws: TransformerError.unsupportedArchitecture("mamba")) { try Architecture.named("mamba") }
    }
}
