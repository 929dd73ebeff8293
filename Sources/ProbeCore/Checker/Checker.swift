package import Logging
package import ProbeProtocol
import Synchronization

/// Answers `check`, `pick`, `mark` and `forget`: applies the address policy, serves verdicts from the
/// cache, and otherwise probes — one probe per address at a time, shared by every request about it.
///
/// Requests wait without tasks: each registers an ``Answer`` callback on the probe it needs, and the
/// probe's completion caches the verdict and calls every waiter: in the daemon on an event loop
/// chosen by the address (``OutcomeQueue``), for pool sweeps on the echo engine's loop thread.
/// A request whose client went away stops mattering, but the probe runs on and its verdict lands in
/// the cache. One `Mutex` guards the cache, the table of probes in flight and the counters; it is
/// never held across a call out. A cache hit takes the lock once and allocates nothing but the answer.
package final class Checker: Sendable {
    let state: Mutex<State>
    let prober: any Prober
    let logger: Logger
    let clock: @Sendable () -> UInt64
    /// Where probe outcomes wait to be settled in batches; nil: settled at once.
    let outcomes: OutcomeQueue?

    /// A checker with an empty cache, ready to answer (``run()`` only waits for the shutdown).
    ///
    /// - Parameters:
    ///   - configuration: policy, probe defaults and cache limits.
    ///   - prober: what sends the probes (the ``EchoEngine`` in the daemon).
    ///   - logger: where to log (by default nowhere).
    ///   - clock: the current ``MonotonicTime`` in nanoseconds (tests inject their own).
    ///   - settleElsewhere: where probe outcomes are settled (verdicts cached, waiters answered),
    ///     in batches: `{ eventLoop.execute($0) }` for each event loop in the daemon, so that the
    ///     engine's loop thread only hands them over and every loop shares the work. Empty: each
    ///     outcome is settled where its probe ended.
    package init(
        configuration: Configuration,
        prober: any Prober,
        logger: Logger = Logger(label: "probed.checker", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping @Sendable () -> UInt64 = { MonotonicTime.now() },
        settleElsewhere: [@Sendable (@escaping @Sendable () -> Void) -> Void] = []
    ) {
        self.state = Mutex(State(configuration: configuration))
        self.prober = prober
        self.logger = logger
        self.clock = clock
        self.outcomes = settleElsewhere.isEmpty ? nil : OutcomeQueue(executors: settleElsewhere)
    }

    /// The configuration in force.
    package var configuration: Configuration {
        state.withLock { $0.configuration }
    }

    /// Applies a reloaded configuration (SIGHUP): the new policy and defaults apply to the next
    /// request, the new TTLs to the next verdict stored; cached entries are kept, except the least
    /// recently used beyond a smaller `maxEntries`. Probes in flight are not affected.
    package func update(configuration: Configuration) {
        state.withLock { state in
            state.configuration = configuration
            state.policy = AddressPolicy(allow: configuration.allow)
            state.cache.update(
                inUseTTL: configuration.inUseTTL,
                freeTTL: configuration.freeTTL,
                maxEntries: configuration.maxEntries
            )
        }
    }

    /// Answers the `check`s read together (one read of a connection): the policy first, then the
    /// cache, then a probe (shared with any probe of the address already in flight that ends by
    /// the request's deadline, even with `max_age_ms: 0`). All under one acquisition of the lock;
    /// the probes they need start with one call to the prober. This is the only way in for a
    /// check: the query server's path (``QueryDispatcher``).
    ///
    /// `answer` is called once for each check, told the check's id: at once (on this thread) for
    /// a refusal or a cache hit, or when the probe the check joins or starts ends. The result is
    /// the verdict (`cached: false, age_ms: 0` from a probe, `cached: true` with its age from the
    /// cache) or an error: `not_allowed`, `overloaded` or `unavailable` (the engine refused the
    /// probe, or the checker is shutting down).
    ///
    /// - Parameter receivedAt: when the requests were read (``MonotonicTime``); a probe they start
    ///   counts its deadline from then.
    package func check(_ checks: [(request: CheckRequest, id: ResponseID)], receivedAt: UInt64, answer: @escaping SharedAnswer) {
        check(checks.lazy.map { ($0.request, Waiter(.shared(answer, $0.id), counted: true)) }, receivedAt: receivedAt)
    }

    private func check(_ checks: some Collection<(CheckRequest, Waiter)>, receivedAt: UInt64) {
        let now = clock()
        let receivedAt = min(receivedAt, now)
        var answered: [(Waiter, Result<Verdict, ProbeError>)] = []
        var jobs: [ProbeJob] = []
        state.withLock { state in
            for (request, waiter) in checks {
                state.counters.checks += 1
                if let refusal = state.policy.check(request.addr) {
                    state.count(refusal)
                    answered.append((waiter, .failure(refusal)))
                    continue
                }
                let admission = state.admit(
                    request.addr,
                    maxAge: request.maxAgeMilliseconds.map { Configuration.nanoseconds(milliseconds: $0) },
                    timeoutMilliseconds: request.timeoutMilliseconds,
                    attempts: request.attempts,
                    now: now,
                    receivedAt: receivedAt,
                    waiter: waiter
                )
                switch admission {
                case .answered(let result):
                    switch result {
                    case .success(let verdict): state.count(verdict)
                    case .failure(let error): state.count(error)
                    }
                    answered.append((waiter, result))
                case .joined:
                    break
                case .start(let job):
                    jobs.append(job)
                }
            }
        }
        for (waiter, result) in answered { waiter.answer(result) }
        start(jobs, priority: .normal)
    }

    /// Hands probes the checker admitted to the prober; `ended` learns when each ended, in
    /// nanoseconds past its deadline (0 when on time).
    func start(_ jobs: [ProbeJob], priority: ProbePriority, ended: (@Sendable (UInt64) -> Void)? = nil) {
        guard !jobs.isEmpty else { return }
        let settle: @Sendable (OutcomeQueue.Item) -> Void = { item in
            // Sweep outcomes trickle in (pools_max_pps at most): settling each where it ends costs
            // less than waking an event loop for it.
            if priority == .normal, let outcomes = self.outcomes {
                outcomes.add(item) { self.settle($0) }
            } else {
                self.settle(CollectionOfOne(item))
            }
        }
        // Without `ended`, one completion for the whole batch, told apart by the tag (the probe's
        // id): 30,000 probes may be in flight, and none holds a closure of its own. With it (sweeps,
        // paced), each learns its own deadline.
        var shared: ProbeCompletion?
        if ended == nil {
            shared = { outcome in settle(OutcomeQueue.Item(probe: outcome.tag, outcome: outcome, due: 0, ended: nil)) }
        }
        prober.start(
            jobs.map { job in
                // Not `shared ?? { … }`: that made the closure for every probe (measured: 2 MiB more
                // for 30,000 in flight).
                let completion: ProbeCompletion
                if let shared {
                    completion = shared
                } else {
                    // The closure holds the deadline only, not the job.
                    let due = job.startedAt &+ MonotonicTime.nanoseconds(job.timeout)
                    completion = { outcome in settle(OutcomeQueue.Item(probe: outcome.tag, outcome: outcome, due: due, ended: ended)) }
                }
                return ProbeStart(
                    address: job.address, timeout: job.timeout, attempts: job.attempts, priority: priority,
                    startedAt: job.startedAt, tag: job.id, completion: completion)
            }
        )
    }

    /// Caches the verdicts of ended probes and answers every request waiting for them, a chunk at
    /// a time: the lock is held for one chunk's bookkeeping, then released while its waiters are
    /// answered, so that when thousands of probes end together (a burst's deadlines) the first
    /// answers leave early and the lock is never held for long.
    private func settle(_ items: some Collection<OutcomeQueue.Item>) {
        var start = items.startIndex
        while start != items.endIndex {
            let end = items.index(start, offsetBy: Self.settleChunk, limitedBy: items.endIndex) ?? items.endIndex
            settleChunk(items[start..<end])
            start = end
        }
    }

    /// Outcomes settled under one acquisition of the lock at most.
    static let settleChunk = 64

    private func settleChunk(_ items: some Collection<OutcomeQueue.Item>) {
        let now = clock()
        // Allocated only when a probe has waiters (a sweep probe usually has none).
        var answers: [(WaiterList, Result<Verdict, ProbeError>)] = []
        let drained = state.withLock { state in
            // Worth it for a batch only: an outcome settled alone (a sweep's) would wait anyway.
            if items.count > 1 { state.prefetch(items.lazy.map(\.outcome.target)) }
            for item in items {
                let address = item.outcome.target
                let result = Self.answer(for: address, outcome: item.outcome.result)
                let waiters = state.complete(address, probe: item.probe, outcome: item.outcome.result, result: result, now: now)
                if waiters.count > 0 { answers.append((waiters, result)) }
            }
            return state.takeDrainedIfDone()
        }
        for (waiters, result) in answers {
            waiters.forEach { $0.answer(result) }
        }
        for item in items {
            if let ended = item.ended {
                ended(now > item.due ? now - item.due : 0)
            }
            if logger.logLevel <= .trace {
                logger.trace("probe ended", metadata: ["addr": "\(item.outcome.target)", "outcome": "\(item.outcome.result)"])
            }
        }
        drained?.resume()
    }

    /// Records a client's `mark`: the address holds `state` (evidence `marked`) for `ttl_ms`, or
    /// that state's cache TTL, whatever a later request's `max_age_ms` says, until it expires or is
    /// forgotten. A probe verdict does not replace it meanwhile.
    ///
    /// - Returns: success, `not_allowed` outside the policy, or `bad_request` for state `unknown` or
    ///   a TTL that is not positive.
    package func mark(_ request: MarkRequest) -> Result<Void, ProbeError> {
        let now = clock()
        return state.withLock { state in
            state.counters.marks += 1
            let problem: ProbeError? =
                if request.state == .unknown {
                    .badRequest("state must be in_use or free")
                } else if let ttl = request.ttlMilliseconds, ttl <= 0 {
                    .badRequest("ttl_ms must be positive")
                } else {
                    state.policy.check(request.addr)
                }
            if let problem {
                state.count(problem)
                return .failure(problem)
            }
            state.cache.mark(
                request.addr,
                state: request.state,
                ttl: request.ttlMilliseconds.map { Configuration.nanoseconds(milliseconds: $0) },
                now: now
            )
            return .success(())
        }
    }

    /// Answers a `forget`: drops the cache entry of one address (zone included), of every address in
    /// a prefix, or all of them — marks and probe verdicts alike. Probes in flight are not affected.
    ///
    /// - Returns: the number of entries dropped (`removed`).
    package func forget(_ request: ForgetRequest) -> Int {
        state.withLock { state in
            state.counters.forgets += 1
            switch request {
            case .address(let address): return state.cache.remove(address) ? 1 : 0
            case .prefix(let prefix): return state.cache.remove(prefix: prefix)
            case .all: return state.cache.removeAll()
            }
        }
    }

    /// The answer of a request whose task was cancelled while it waited (its client went away).
    static let cancelled = ProbeError.unavailable("the request was cancelled")
}
