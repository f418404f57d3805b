import Testing
import SDSCMTestSupport

/// SmolLM2 for the command-line acceptance tests, whose forward passes take minutes in a debug build: enabled
/// only in release builds, and only when the model has been fetched.
enum ReleaseOnlySmolLM2 {
    static let path = Fixtures.fetched(.smolLM2)
    #if DEBUG
    static let enabled = false
    static let reason = Comment(rawValue: "runs in release builds only (swift test -c release)")
    #else
    static let enabled = path != nil
    static let reason = Comment(rawValue: Fixtures.missingReason(.smolLM2))
    #endif
}
