import SDSCMTensors
import Testing

@Suite struct HalfPrecisionTests {
    /// All 65,536 half bit patterns against the standard library's conversion.
    @Test func everyHalfConvertsExactly() {
        #if !(os(macOS) && arch(x86_64))
        var mismatches = 0
        for bits in 0...UInt16.max {
            let ours = HalfPrecision.float(fromHalfBits: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                // NaNs must stay NaNs with the same sign and payload bits.
                if !(ours.isNaN && ours.sign == reference.sign
                    && ours.bitPattern & 0x003F_E000 == reference.bitPattern & 0x003F_E000) { mismatches += 1 }
            } else if ours.bitPattern != reference.bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #endif
    }

    @Test func landmarks() {
        #expect(HalfPrecision.float(fromHalfBits: 0x3C00) == 1)
        #expect(HalfPrecision.float(fromHalfBits: 0xC000) == -2)
        #expect(HalfPrecision.float(fromHalfBits: 0x7BFF) == 65504)
        #expect(HalfPrecision.float(fromHalfBits: 0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(HalfPrecision.float(fromHalfBits: 0x7C00) == .infinity)
        #expect(HalfPrecision.float(fromHalfBits: 0xFC00) == -.infinity)
        #expect(HalfPrecision.float(fromHalfBits: 0x8000).bitPattern == 0x8000_0000)
        #expect(HalfPrecision.float(fromBFloat16Bits: 0x3F80) == 1)
        #expect(HalfPrecision.float(fromBFloat16Bits: 0xC040) == -3)
    }
}
