package import ProbeProtocol
import Synchronization

extension Checker {
    /// Answers a `check` at once when no probe is needed — the policy refuses the address, or the
    /// cache holds a verdict young enough — so that the server can reply without starting a task.
    ///
    /// - Returns: the answer, counted exactly as ``check(_:)`` counts it; nil when a probe is
    ///   needed (nothing is counted then: call ``check(_:)``).
    package func answerImmediately(_ request: CheckRequest) -> Result<Verdict, ProbeError>? {
        let now = clock()
        return state.withLock { state -> Result<Verdict, ProbeError>? in
            if let refusal = state.policy.check(request.addr) {
                state.counters.checks += 1
                state.count(refusal)
                return .failure(refusal)
            }
            let maxAge = request.maxAgeMilliseconds.map { Configuration.nanoseconds(milliseconds: $0) }
            guard let entry = state.cache.lookup(request.addr, maxAge: maxAge, now: now) else { return nil }
            let verdict = entry.verdict(for: request.addr, now: now)
            state.counters.checks += 1
            state.counters.cacheHits += 1
            state.count(verdict)
            return .success(verdict)
        }
    }
}
