import Foundation

/// Paths of the committed test fixtures and of fetched models, for every test target.
public enum Fixtures {
    /// `Tests/Fixtures`, found from this source file so tests work from any working directory.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The package root (where Package.swift is).
    public static let packageRoot: URL = directory.deletingLastPathComponent().deletingLastPathComponent()

    /// Path of a committed fixture, e.g. `gguf/formats.gguf`.
    public static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    /// Bytes of a committed fixture.
    public static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(relative)))
    }

    /// A committed JSON fixture, decoded with JSONSerialization.
    public static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(relative)))
    }

    /// A file or folder of the reference data beside the package (`../shared/reference/<relative>`), or nil when
    /// it is absent (users do not have it; tests that need it skip).
    public static func sharedReference(_ relative: String) -> URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference").appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The path of a fetched model, looked up through `ModelDirectory` (`SDSCM_MODELS`, default `.models`),
    /// falling back to `.models` at the package root so `swift test` finds it from any directory.
    public static func fetched(_ file: FetchedModelFile) -> String? {
        if let path = ModelDirectory.locate(file) { return path }
        let fallback = packageRoot.appendingPathComponent(".models").appendingPathComponent(file.relativePath).path
        return FileManager.default.isReadableFile(atPath: fallback) ? fallback : nil
    }

    /// Why a test that needs `file` is skipped when it is absent; Swift Testing prints this.
    public static func missingReason(_ file: FetchedModelFile) -> String {
        "needs \(file.relativePath) in \(ModelDirectory.path) (run Tests/Scripts/fetch-models.sh, or set SDSCM_MODELS)"
    }
}
