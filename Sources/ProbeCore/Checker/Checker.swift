package import Logging
package import ProbeProtocol
import Synchronization

/// Answers `check`, `pick`, `mark` and `forget`: applies the address policy, serves verdicts from the
/// cache, and otherwise probes — one probe per address at a time, shared by every request about it.
///
/// Probes run inside ``run()``'s task group, not in the requests' tasks: a request whose task is
/// cancelled (its client went away) stops waiting, but the probe runs on and its verdict lands in the
/// cache. One `Mutex` guards the cache, the table of probes in flight and the counters; it is never
/// held across a suspension. A cache hit takes the lock once and allocates nothing but the answer.
package final class Checker: Sendable {
    let state: Mutex<State>
    let prober: any Prober
    let logger: Logger
    let clock: @Sendable () -> UInt64
    let jobs: AsyncStream<ProbeJob>
    let jobSink: AsyncStream<ProbeJob>.Continuation

    /// A checker with an empty cache. Nothing is probed until ``run()`` runs.
    ///
    /// - Parameters:
    ///   - configuration: policy, probe defaults and cache limits.
    ///   - prober: what sends the probes (the ``EchoEngine`` in the daemon).
    ///   - logger: where to log (by default nowhere).
    ///   - clock: the current ``MonotonicTime`` in nanoseconds (tests inject their own).
    package init(
        configuration: Configuration,
        prober: any Prober,
        logger: Logger = Logger(label: "probed.checker", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping @Sendable () -> UInt64 = { MonotonicTime.now() }
    ) {
        self.state = Mutex(State(configuration: configuration))
        self.prober = prober
        self.logger = logger
        self.clock = clock
        (self.jobs, self.jobSink) = AsyncStream.makeStream(of: ProbeJob.self)
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

    /// Answers a `check`: the policy first, then the cache, then a probe (shared with any probe of
    /// the address already in flight, even with `max_age_ms: 0`).
    ///
    /// - Returns: the verdict — `cached: false, age_ms: 0` from a probe, `cached: true` with its age
    ///   from the cache — or an error: `not_allowed`, `overloaded` or `unavailable` (the engine
    ///   refused the probe, or the checker is shutting down; also when the calling task is cancelled).
    package func check(_ request: CheckRequest) async -> Result<Verdict, ProbeError> {
        let now = clock()
        let admission = state.withLock { state -> Admission in
            state.counters.checks += 1
            if let refusal = state.policy.check(request.addr) {
                state.count(refusal)
                return .answered(.failure(refusal))
            }
            let admission = state.admit(
                request.addr,
                maxAge: request.maxAgeMilliseconds.map { Configuration.nanoseconds(milliseconds: $0) },
                timeoutMilliseconds: request.timeoutMilliseconds,
                attempts: request.attempts,
                now: now,
                jobs: jobSink
            )
            if case .answered(.failure(let error)) = admission { state.count(error) }
            return admission
        }
        switch admission {
        case .answered(let result):
            if case .success(let verdict) = result { state.withLock { $0.count(verdict) } }
            return result
        case .waiting(let id):
            guard let result = await wait(for: id) else { return .failure(Self.cancelled) }
            state.withLock { state in
                switch result {
                case .success(let verdict): state.count(verdict)
                case .failure(let error): state.count(error)
                }
            }
            return result
        }
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
