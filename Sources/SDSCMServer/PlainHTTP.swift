import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP/1.1 over a plain TCP socket, for `http://` servers: one connection per request (`Connection: close`),
/// blocking I/O on a worker thread with timeouts.
///
/// Why not `URLSession` here: on Linux, FoundationNetworking's libcurl-driven event loop wakes about two thousand
/// times a second while a request waits, which costs most of a core per waiting client (measured: 2.1 s of CPU
/// for a 3 s wait). With the model server on the same machine (as in tests, or a workstation), that CPU is taken
/// from the server. `https://` still goes through `URLSession` (TLS).
enum PlainHTTP {
    /// A response: status code and body.
    struct Response {
        var status: Int
        var body: Data
    }

    /// Why a request failed before a response arrived (mapped to the same retry rules as `URLError`).
    enum Failure: Error {
        case connect(String)
        case timedOut
        case lost(String)
        case malformed(String)
    }

    /// Sends one request and reads the whole response, off the cooperative thread pool.
    static func exchange(method: String, url: URL, headers: [(String, String)], body: Data?, timeout: TimeInterval) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchangeBlocking(method: method, url: url, headers: headers, body: body, timeout: timeout) })
            }
        }
    }

    static func exchangeBlocking(method: String, url: URL, headers: [(String, String)], body: Data?, timeout: TimeInterval) throws -> Response {
        guard let host = url.host else { throw Failure.connect("no host") }
        let port = url.port ?? 80
        let descriptor = try openSocket(host: host, port: port, timeout: timeout)
        defer { close(descriptor) }
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: application/json\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body?.count ?? 0)\r\n\r\n"
        try writeAll(descriptor, Data(head.utf8) + (body ?? Data()))
        let raw = try readAll(descriptor)
        return try parse(raw)
    }

    private static func openSocket(host: String, port: Int, timeout: TimeInterval) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw Failure.connect("host not found") }
        defer { freeaddrinfo(list) }
        var lastError = "connection refused"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let descriptor = socket(current.pointee.ai_family, current.pointee.ai_socktype, current.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            var interval = timeval()
            interval.tv_sec = .init(timeout)
            interval.tv_usec = .init((timeout - timeout.rounded(.down)) * 1_000_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            if connect(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return descriptor }
            lastError = errno == ETIMEDOUT || errno == EINPROGRESS ? "timed out" : "connection refused"
            close(descriptor)
        }
        throw lastError == "timed out" ? Failure.timedOut : Failure.connect(lastError)
    }

    private static func writeAll(_ descriptor: Int32, _ data: Data) throws {
        try data.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let result = send(descriptor, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                if result > 0 { sent += result; continue }
                if result < 0 && errno == EINTR { continue }
                throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timedOut : Failure.lost("send failed")
            }
        }
    }

    private static func readAll(_ descriptor: Int32) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count > 0 { data.append(contentsOf: buffer[0..<count]); continue }
            if count == 0 { return data }
            if errno == EINTR { continue }
            throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timedOut : Failure.lost("connection lost")
        }
    }

    /// Status line, headers, then a body of `Content-Length` bytes, chunked, or up to the connection's end.
    static func parse(_ raw: Data) throws -> Response {
        let bytes = [UInt8](raw)
        guard let end = find([13, 10, 13, 10], in: bytes, from: 0) else {
            throw raw.isEmpty ? Failure.lost("connection closed without a response") : Failure.malformed("no end of headers")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw Failure.malformed("bad status line")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard body.count >= length else { throw Failure.lost("response cut short (\(body.count) of \(length) bytes)") }
            body = Array(body[0..<length])
        }
        return Response(status: status, body: Data(body))
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var position = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: position) else { throw Failure.lost("chunked body cut short") }
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure.malformed("bad chunk size") }
            position = lineEnd + 2
            if size == 0 { return output }
            guard position + size <= bytes.count else { throw Failure.lost("chunked body cut short") }
            output += bytes[position..<(position + size)]
            position += size + 2
        }
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] && Array(bytes[index..<(index + pattern.count)]) == pattern { return index }
            index += 1
        }
        return nil
    }
}
