import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SDSCMTestSupport

/// The stand-in completions server of `Tests/Tools/server/stub_server.py`, run with python3 on a free loopback port.
final class StubServer: @unchecked Sendable {
    let process: Process
    let port: Int
    var url: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    /// Whether python3 is there to run it (tests that need it are skipped otherwise).
    static let available: Bool = FileManager.default.isExecutableFile(atPath: python) 
    static var python: String {
        ["/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3"
    }

    /// Starts the stub with `arguments` (e.g. `--fail-first 2`), on `port` (0: any free one).
    init(_ arguments: [String] = [], port: Int = 0) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Fixtures.packageRoot.appendingPathComponent("Tests/Tools/server/stub_server.py").path, "--port", String(port)] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "port ", with: "")) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    /// Kills the stub and reaps it (Foundation's `waitUntilExit` can wait forever on Linux when the process was
    /// started off the main run loop, so the wait is `waitpid`).
    func stop() {
        let pid = process.processIdentifier
        guard pid > 0, kill(pid, 0) == 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    deinit { stop() }

    /// A free loopback port (bound and released).
    static func freePort() throws -> Int {
        let stub = try StubServer()
        let port = stub.port
        stub.stop()
        return port
    }
}
