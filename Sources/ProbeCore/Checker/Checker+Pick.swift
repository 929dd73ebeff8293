package import ProbeProtocol
import Synchronization

extension Checker {
    /// Answers a `pick`: the first candidate, in the given order, whose verdict is `free`.
    ///
    /// Every candidate is checked against the policy before anything is probed; one refused
    /// candidate refuses the whole request with `not_allowed`, naming it. Then every candidate is
    /// looked up in the cache and the others are probed at once (a duplicated address shares one
    /// probe). The answer comes as soon as the choice is settled: when a candidate is `free` and
    /// every earlier one has settled as not free, or when all have settled (`addr: null` if none is
    /// free). Candidates still unsettled then are listed as `pending`; their probes run on and their
    /// verdicts land in the cache.
    ///
    /// A candidate whose probe the engine refused (`overloaded`, `unavailable`) counts as settled and
    /// not free, and is listed as `unknown` with evidence `not_sent` and the error's message as
    /// reason — unless every candidate was refused so, in which case the request fails with the
    /// first candidate's error.
    ///
    /// - Parameter receivedAt: when the request was read (``MonotonicTime``): the probes' deadlines
    ///   count from it, as a `check`'s do (from now when nil).
    package func pick(_ request: PickRequest, receivedAt: UInt64? = nil) async -> Result<PickAnswer, ProbeError> {
        guard !request.addrs.isEmpty else {
            let error = ProbeError.badRequest("addrs must hold at least one address")
            state.withLock { $0.count(error) }
            return .failure(error)
        }
        // The distinct candidates, in order of first appearance.
        var candidates: [IPAddress] = []
        var positions: [IPAddress: Int] = [:]
        candidates.reserveCapacity(request.addrs.count)
        for address in request.addrs where positions[address] == nil {
            positions[address] = candidates.count
            candidates.append(address)
        }
        let now = clock()
        // The deadline counts from when the request was read, as a check's does.
        let receivedAt = min(receivedAt ?? now, now)
        let progress = PickProgress(count: candidates.count)
        let admitted = state.withLock { state -> Result<[Admission], ProbeError> in
            state.counters.picks += 1
            for address in candidates {
                if let refusal = state.policy.check(address) {
                    state.count(refusal)
                    return .failure(refusal)
                }
            }
            let maxAge = request.maxAgeMilliseconds.map { Configuration.nanoseconds(milliseconds: $0) }
            return .success(
                candidates.enumerated().map { position, address in
                    state.admit(
                        address,
                        maxAge: maxAge,
                        timeoutMilliseconds: request.timeoutMilliseconds,
                        attempts: request.attempts,
                        now: now,
                        receivedAt: receivedAt,
                        waiter: Waiter(answer: { progress.settle(position, with: $0) }, counted: false)
                    )
                }
            )
        }
        let admissions: [Admission]
        switch admitted {
        case .failure(let error): return .failure(error)
        case .success(let value): admissions = value
        }
        var jobs: [ProbeJob] = []
        var answered: [(position: Int, result: Result<Verdict, ProbeError>)] = []
        for (position, admission) in admissions.enumerated() {
            switch admission {
            case .answered(let result): answered.append((position, result))
            case .joined: break
            case .start(let job): jobs.append(job)
            }
        }
        progress.open(with: answered)
        start(jobs, priority: .normal)
        // The choice settles as soon as it can; the other probes run on and their verdicts land
        // in the cache.
        guard let settled = await progress.choice(), let choice = Self.choice(settled) else {
            // This task was cancelled before the choice settled.
            return .failure(Self.cancelled)
        }
        return answer(request, candidates: candidates, choice: choice, settled: settled, positions: positions)
    }

    /// The choice the settled verdicts allow: `.some(position)` of the chosen candidate,
    /// `.some(nil)` when every candidate settled as not free, `nil` while it is open.
    static func choice(_ settled: [Result<Verdict, ProbeError>?]) -> Int?? {
        for (position, result) in settled.enumerated() {
            guard let result else { return nil }
            if case .success(let verdict) = result, verdict.state == .free { return .some(position) }
        }
        return .some(nil)
    }

    /// Builds the answer, one result per requested address in order.
    private func answer(
        _ request: PickRequest,
        candidates: [IPAddress],
        choice: Int?,
        settled: [Result<Verdict, ProbeError>?],
        positions: [IPAddress: Int]
    ) -> Result<PickAnswer, ProbeError> {
        if choice == nil, let first = settled.first, case .failure(let error)? = first,
            settled.allSatisfy({ if case .failure? = $0 { true } else { false } })
        {
            state.withLock { $0.count(error) }
            return .failure(error)
        }
        let results = request.addrs.map { address -> PickResult in
            switch settled[positions[address]!] {
            case .success(let verdict)?:
                return .settled(verdict)
            case .failure(let error)?:
                return .settled(Verdict(addr: address, state: .unknown, evidence: .notSent, reason: error.message))
            case nil:
                return .pending(address)
            }
        }
        return .success(PickAnswer(addr: choice.map { candidates[$0] }, results: results))
    }
}
