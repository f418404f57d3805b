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

    /// A loopback port that refuses connections while the returned socket is open: bound but not listening, so a
    /// stub that a test running alongside starts on "any free port" cannot be given it (a port that was bound
    /// and released could be). Close the socket when done.
    static func refusingPort() throws -> (port: Int, socket: Int32) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw CocoaError(.fileWriteUnknown) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { close(socket); throw CocoaError(.fileWriteUnknown) }
        return (Int(UInt16(bigEndian: address.sin_port)), socket)
    }

    /// A free loopback port (bound and released).
    static func freePort() throws -> Int {
        let stub = try StubServer()
        let port = stub.port
        stub.stop()
        return port
    }
}
