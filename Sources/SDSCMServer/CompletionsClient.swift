import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// An OpenAI-compatible HTTP endpoint: requests with a timeout, retries with exponential backoff and jitter on
/// connection errors, 429 and 5xx, a bounded number of requests in flight, and a bearer token that never appears
/// in a message.
final class CompletionsClient: Sendable {
    /// The API's base URL (`…/v1`), as given.
    let baseURL: URL
    /// The base URL without credentials, for messages and manifests.
    let displayURL: String
    private let apiKey: String?
    private let timeout: TimeInterval
    private let retries: Int
    private let backoff: TimeInterval
    private let session: URLSession
    private let limiter: AsyncLimiter
    /// When the server last exhausted its retries: later requests fail at once for `coolDown` seconds, so a dead
    /// server ends a run in one retry cycle instead of one per request.
    private let gaveUp = Mutex<(at: ContinuousClock.Instant, reason: String, attempts: Int)?>(nil)
    private let coolDown: Duration = .seconds(30)
    private let counters = Mutex((requests: 0, retries: 0))

    init(baseURL: URL, apiKey: String?, timeout: TimeInterval, retries: Int, backoff: TimeInterval, concurrency: Int) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        limiter = AsyncLimiter(max(1, concurrency))
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        displayURL = components?.url?.absoluteString ?? baseURL.absoluteString
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = max(1, concurrency)
        session = URLSession(configuration: configuration)
    }

    /// HTTP requests sent (retries included) and retries made.
    var work: (requests: Int, retries: Int) { counters.withLock { $0 } }

    /// `GET <base>/<path>`.
    func get(_ path: String) async throws -> Data {
        try await send(method: "GET", path: path, body: nil, describing: "GET /\(path)")
    }

    /// `POST <base>/<path>` with a JSON body; `retrying: false` gives up at the first failure (probes).
    func post(_ path: String, body: Data, describing request: String, retrying: Bool = true) async throws -> Data {
        try await send(method: "POST", path: path, body: body, describing: request, retrying: retrying)
    }

    private func send(method: String, path: String, body: Data?, describing request: String, retrying: Bool = true) async throws -> Data {
        await limiter.acquire()
        let result: Result<Data, Error>
        do {
            result = .success(try await attempts(method: method, path: path, body: body, describing: request, retries: retrying ? retries : 0))
        } catch {
            result = .failure(error)
        }
        await limiter.release()
        return try result.get()
    }

    private func attempts(method: String, path: String, body: Data?, describing request: String, retries: Int) async throws -> Data {
        if let dead = gaveUp.withLock({ $0 }), ContinuousClock.now - dead.at < coolDown {
            throw ServerError.unreachable(server: displayURL, attempts: dead.attempts, reason: dead.reason)
        }
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout)
        urlRequest.httpMethod = method
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { urlRequest.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        urlRequest.httpBody = body
        var lastFailure = ""
        for attempt in 0...retries {
            if attempt > 0 {
                counters.withLock { $0.retries += 1 }
                // Exponential backoff with ±50% jitter, so that many clients do not retry in step.
                let delay = backoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.5)
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
            try Task.checkCancellation()
            counters.withLock { $0.requests += 1 }
            do {
                let (data, status) = try await exchange(urlRequest)
                if (200..<300).contains(status) { return data }
                let message = Self.errorMessage(data)
                if status == 429 || status >= 500 {
                    lastFailure = "HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
                    if attempt == retries {
                        throw ServerError.httpStatus(server: displayURL, request: request, status: status, message: message)
                    }
                    continue
                }
                throw ServerError.httpStatus(server: displayURL, request: request, status: status, message: message)
            } catch let error as URLError where error.code != .badURL && error.code != .unsupportedURL && error.code != .cancelled {
                lastFailure = Self.describe(error)
            } catch let failure as PlainHTTP.Failure {
                switch failure {
                case .connect(let reason), .lost(let reason), .malformed(let reason): lastFailure = reason
                case .timedOut: lastFailure = "timed out"
                }
            }
        }
        if retries > 0 { gaveUp.withLock { $0 = (ContinuousClock.now, lastFailure, retries + 1) } }
        throw ServerError.unreachable(server: displayURL, attempts: retries + 1, reason: lastFailure)
    }

    /// One HTTP exchange: plain sockets for `http://`, `URLSession` for `https://` (see `PlainHTTP` for why).
    private func exchange(_ request: URLRequest) async throws -> (Data, Int) {
        if baseURL.scheme == "http", let url = request.url {
            let headers = (request.allHTTPHeaderFields ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let response = try await PlainHTTP.exchange(method: request.httpMethod ?? "GET", url: url, headers: headers,
                                                        body: request.httpBody, timeout: timeout)
            return (response.body, response.status)
        }
        let (data, response) = try await session.data(for: request)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    /// The `error.message` of an OpenAI-style error body, or its first 200 characters.
    static func errorMessage(_ data: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
            if let message = object["detail"] as? String { return message }
        }
        return String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "connection lost"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .notConnectedToInternet: return "no network"
        default: return "network error \(error.code.rawValue)"
        }
    }
}

/// At most `limit` holders at a time, waiting in arrival order.
actor AsyncLimiter {
    private var available: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { available += 1 } else { waiting.removeFirst().resume() }
    }
}
