import Synchronization

/// Answers the language-model requests of many concurrently running units with one model call.
///
/// Units (a sample, its counterfactual arms, an exact query, a benchmark row, …) run as cooperative tasks, and
/// each one that needs a score it does not have `submit`s a request and waits. When every participating task is
/// waiting, the last one to arrive takes all pending requests, removes duplicates, puts them in a fixed order
/// and asks the model once; then every waiting task resumes with its answers. No unit is ever rerun, a body may
/// catch errors freely, and nothing is opt-in: any task that submits joins (`participate`), and `map` runs many
/// items as participants at once.
///
/// Results never depend on batching: a model answers each request the same whatever shares its call (a
/// `LanguageModel` requirement), mechanisms are memoized by content, and noise is keyed. Batches themselves are
/// deterministic too when one query runs at a time: a flush happens only when all participants wait, and what
/// each has asked for by then does not depend on thread timing.
final class ScoringBatcher: Sendable {
    /// The model every request goes to.
    let model: any LanguageModel

    /// A question for the model.
    enum Request: Hashable, Sendable {
        case candidates(CandidateScoringRequest)
        case nextToken(NextTokenRequest)
    }

    /// Its answer.
    enum Answer: Sendable {
        case candidates(CandidateScores)
        case nextToken(NextTokenDistribution)
    }

    /// One waiting task's requests and how to wake it. Fields are guarded by the batcher's lock.
    final class Slot: @unchecked Sendable {
        let requests: [Request]
        /// The submitting task's item number in `map` (its unit), which orders a batch.
        let ordinal: Int
        /// Called by the flush with the answers before any task resumes (the memo stores them there, so that no
        /// task of the next round can miss an entry another has just been given).
        let delivered: (@Sendable ([Answer]) -> Void)?
        var continuation: CheckedContinuation<[Answer], Error>?
        var result: Result<[Answer], Error>?

        init(requests: [Request], ordinal: Int, delivered: (@Sendable ([Answer]) -> Void)?) {
            self.requests = requests
            self.ordinal = ordinal
            self.delivered = delivered
        }
    }

    struct State: ~Copyable {
        /// Tasks that will submit before they finish (and are not waiting for their own workers).
        var participants = 0
        /// Slots submitted since the last flush.
        var pending: [Slot] = []
        var work = Work()
    }

    /// What the model was asked so far.
    struct Work: Sendable, Hashable {
        /// Model calls made (candidate and next-token calls count separately).
        var calls = 0
        /// Distinct requests answered.
        var requests = 0
        /// Tokens the model reports it evaluated during those calls.
        var tokensEvaluated = 0
        /// Tokens of the candidate requests given to it, cached or not.
        var tokensScored = 0
    }

    private let state = Mutex(State())

    /// The batcher the current task participates in, if any.
    @TaskLocal static var membership: ObjectIdentifier?
    /// The item of `map` the current task is running (0 outside `map`).
    @TaskLocal static var ordinal = 0

    init(model: any LanguageModel) {
        self.model = model
    }

    /// The work done so far.
    var work: Work { state.withLock { $0.work } }

    private var isMember: Bool { Self.membership == ObjectIdentifier(self) }

    // MARK: Participation

    /// Runs `body` with the current task counted as a participant (it already is inside `participate` or `map`).
    func participate<T>(_ body: () async throws -> T) async throws -> T {
        if isMember { return try await body() }
        state.withLock { $0.participants += 1 }
        let result: Result<T, Error>
        do {
            result = .success(try await Self.$membership.withValue(ObjectIdentifier(self)) { try await body() })
        } catch {
            result = .failure(error)
        }
        await leave()
        return try result.get()
    }

    /// `body(i)` for every `i` in `0..<count`, with `width` participating workers taking indices in order; results
    /// in index order. If some fail, no index above the first failure is started, and the error of the lowest
    /// failing index is thrown (the same as running them in order would report). A participant that calls `map`
    /// stops counting while its workers run, so their requests can flush without it.
    func map<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        guard count > 0 else { return [] }
        let workers = min(max(1, width), count)
        let nested = isMember
        // Count the workers before the caller stops counting, so no flush happens in between without them.
        state.withLock { $0.participants += workers }
        if nested { await leave() }
        let queue = WorkQueue<T>(count: count)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    await Self.$membership.withValue(ObjectIdentifier(self)) {
                        while let index = queue.next() {
                            do {
                                let value = try await Self.$ordinal.withValue(index) { try await body(index) }
                                queue.finish(index, with: .success(value))
                            } catch {
                                queue.finish(index, with: .failure(error))
                            }
                        }
                    }
                    await self.leave()
                }
            }
        }
        if nested { state.withLock { $0.participants += 1 } }
        return try queue.results()
    }

    /// Stops counting the current task; flushes if everyone left is waiting.
    private func leave() async {
        let batch = state.withLock { state -> [Slot]? in
            state.participants -= 1
            return Self.takeBatchIfReady(&state)
        }
        if let batch { await flush(batch) }
    }

    private static func takeBatchIfReady(_ state: inout State) -> [Slot]? {
        guard state.participants > 0, !state.pending.isEmpty, state.pending.count >= state.participants else { return nil }
        let batch = state.pending
        state.pending = []
        return batch
    }

    // MARK: Requests

    /// The answers to `requests`, in order, from a batched model call shared with every other waiting task.
    /// `delivered` receives them first, while every participant is still waiting.
    func submit(_ requests: [Request], delivered: (@Sendable ([Answer]) -> Void)? = nil) async throws -> [Answer] {
        guard !requests.isEmpty else { return [] }
        guard isMember else { return try await participate { try await submit(requests, delivered: delivered) } }
        let slot = Slot(requests: requests, ordinal: Self.ordinal, delivered: delivered)
        let batch = state.withLock { state -> [Slot]? in
            state.pending.append(slot)
            return Self.takeBatchIfReady(&state)
        }
        if let batch { await flush(batch) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[Answer], Error>) in
                let ready = state.withLock { _ -> Result<[Answer], Error>? in
                    if let result = slot.result { return result }
                    slot.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            cancel(slot)
        }
    }

    /// Candidate scores for one request; `delivered` sees them before any waiting task resumes.
    func scoreCandidates(_ request: CandidateScoringRequest,
                         delivered: (@Sendable (CandidateScores) -> Void)? = nil) async throws -> CandidateScores {
        var hook: (@Sendable ([Answer]) -> Void)?
        if let delivered {
            hook = { answers in
                if case .candidates(let scores) = answers[0] { delivered(scores) }
            }
        }
        let answers = try await submit([.candidates(request)], delivered: hook)
        guard case .candidates(let scores) = answers[0] else { preconditionFailure() }
        return scores
    }

    /// Next-token distributions, in order.
    func nextTokens(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution] {
        try await submit(requests.map(Request.nextToken)).map { answer in
            guard case .nextToken(let distribution) = answer else { preconditionFailure() }
            return distribution
        }
    }

    /// A cancelled task still waiting leaves the batch with a `CancellationError`; one already in flight gets its
    /// answer.
    private func cancel(_ slot: Slot) {
        let continuation = state.withLock { state -> CheckedContinuation<[Answer], Error>? in
            guard slot.result == nil, let index = state.pending.firstIndex(where: { $0 === slot }) else { return nil }
            state.pending.remove(at: index)
            slot.result = .failure(CancellationError())
            defer { slot.continuation = nil }
            return slot.continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    // MARK: Flushing

    /// Asks the model for every distinct request of `batch` (candidates in one call, next tokens in another), then
    /// wakes each slot with its answers. When a call fails, its requests are asked one by one, so each task gets
    /// its own answer or the error its own request causes.
    private func flush(_ batch: [Slot]) async {
        // Requests in the order of the units that asked (as running the units one by one would ask them), each
        // once: a deterministic order in which consecutive contexts tend to extend each other, which is what a
        // model's prefix caches reuse best.
        var candidateSet = Set<CandidateScoringRequest>(), nextSet = Set<NextTokenRequest>()
        var candidates: [CandidateScoringRequest] = [], nextRequests: [NextTokenRequest] = []
        for slot in batch.sorted(by: { $0.ordinal < $1.ordinal }) {
            for request in slot.requests {
                switch request {
                case .candidates(let r): if candidateSet.insert(r).inserted { candidates.append(r) }
                case .nextToken(let r): if nextSet.insert(r).inserted { nextRequests.append(r) }
                }
            }
        }
        let before = model.tokensEvaluated
        var calls = 0
        var candidateAnswers: [CandidateScoringRequest: Result<CandidateScores, Error>] = [:]
        var nextAnswers: [NextTokenRequest: Result<NextTokenDistribution, Error>] = [:]
        if !candidates.isEmpty {
            calls += 1
            candidateAnswers = await Self.answer(candidates) { try await self.scoreCandidatesChecked($0) }
        }
        if !nextRequests.isEmpty {
            calls += 1
            nextAnswers = await Self.answer(nextRequests) { try await self.nextTokensChecked($0) }
        }
        let evaluated = model.tokensEvaluated - before
        let scored = candidateAnswers.values.reduce(0) { $0 + ((try? $1.get().tokensScored) ?? 0) }
        let results = batch.map { slot in
            Result<[Answer], Error> {
                try slot.requests.map { request in
                    switch request {
                    case .candidates(let r): return .candidates(try candidateAnswers[r]!.get())
                    case .nextToken(let r): return .nextToken(try nextAnswers[r]!.get())
                    }
                }
            }
        }
        for (slot, result) in zip(batch, results) {
            if let delivered = slot.delivered, case .success(let answers) = result { delivered(answers) }
        }
        var wake: [(CheckedContinuation<[Answer], Error>, Result<[Answer], Error>)] = []
        state.withLock { state in
            state.work.calls += calls
            state.work.requests += candidates.count + nextRequests.count
            state.work.tokensEvaluated += evaluated
            state.work.tokensScored += scored
            for (slot, result) in zip(batch, results) {
                if let continuation = slot.continuation {
                    slot.continuation = nil
                    wake.append((continuation, result))
                } else if slot.result == nil {
                    slot.result = result
                }
            }
        }
        for (continuation, result) in wake { continuation.resume(with: result) }
    }

    /// Answers per request: from one call for all, or, if that call fails, from one call per request.
    private static func answer<R: Hashable, A>(_ requests: [R], _ call: ([R]) async throws -> [A]) async -> [R: Result<A, Error>] {
        do {
            let answers = try await call(requests)
            return Dictionary(uniqueKeysWithValues: zip(requests, answers.map { .success($0) }))
        } catch {
            guard requests.count > 1 else { return [requests[0]: .failure(error)] }
            var results: [R: Result<A, Error>] = [:]
            for request in requests {
                do { results[request] = .success(try await call([request])[0]) } catch { results[request] = .failure(error) }
            }
            return results
        }
    }

    private func scoreCandidatesChecked(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores] {
        let answers = try await model.scoreCandidates(requests)
        guard answers.count == requests.count else {
            throw LanguageModelError.malformedAnswer(model: model.identifier, "\(answers.count) answers to \(requests.count) candidate requests")
        }
        for (request, answer) in zip(requests, answers) where answer.logWeights.count != request.continuations.count {
            throw LanguageModelError.malformedAnswer(
                model: model.identifier, "\(answer.logWeights.count) scores for \(request.continuations.count) candidates after \"\(request.context)\"")
        }
        return answers
    }

    private func nextTokensChecked(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution] {
        let answers = try await model.nextTokenDistributions(requests)
        guard answers.count == requests.count else {
            throw LanguageModelError.malformedAnswer(model: model.identifier, "\(answers.count) answers to \(requests.count) next-token requests")
        }
        return answers
    }
}

/// Hands out indices in order to `ScoringBatcher.map`'s workers and collects their results.
final class WorkQueue<T: Sendable>: Sendable {
    private struct State: ~Copyable {
        var next = 0
        var firstFailure = Int.max
        var results: [Result<T, Error>?]
    }

    private let count: Int
    private let state: Mutex<State>

    init(count: Int) {
        self.count = count
        state = Mutex(State(results: Array(repeating: nil, count: count)))
    }

    /// The next index to run, or nil when all have started or one has failed.
    func next() -> Int? {
        state.withLock { state in
            guard state.next < count, state.firstFailure == .max else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func finish(_ index: Int, with result: Result<T, Error>) {
        state.withLock { state in
            state.results[index] = result
            if case .failure = result { state.firstFailure = min(state.firstFailure, index) }
        }
    }

    /// Every result in order, or the error of the lowest failing index.
    func results() throws -> [T] {
        try state.withLock { state in
            if state.firstFailure != .max { _ = try state.results[state.firstFailure]!.get() }
            return try state.results.map { try $0!.get() }
        }
    }
}
