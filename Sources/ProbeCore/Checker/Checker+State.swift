import ProbeProtocol

extension Checker {
    /// One probe for the run loop to start.
    struct ProbeJob: Sendable {
        var address: IPAddress
        var timeout: Duration
        var attempts: Int
    }

    /// The suspended task of a request waiting for a verdict; resumed with `nil` when it is cancelled.
    typealias WaiterContinuation = CheckedContinuation<Result<Verdict, ProbeError>?, Never>

    /// A request waiting for the verdict of a probe in flight.
    enum WaiterSlot {
        /// Registered; its task has not suspended yet.
        case pending
        /// Suspended on this continuation.
        case waiting(WaiterContinuation)
        /// The verdict came before the task suspended.
        case done(Result<Verdict, ProbeError>)
        /// The task was cancelled before it suspended.
        case cancelled
    }

    /// A probe in flight and who waits for it.
    struct InFlightProbe {
        var waiters: [UInt64]
        /// Whether the run loop has handed it to the prober (an unstarted one is answered at shutdown).
        var started = false
    }

    /// What a request about one address gets at once.
    enum Admission {
        /// An answer: from the cache, or an error.
        case answered(Result<Verdict, ProbeError>)
        /// A waiter registered on a probe in flight.
        case waiting(UInt64)
    }

    /// Everything the lock guards.
    struct State {
        var configuration: Configuration
        var policy: AddressPolicy
        var cache: VerdictCache
        var inFlight: [IPAddress: InFlightProbe] = [:]
        var waiters: [UInt64: WaiterSlot] = [:]
        var nextWaiter: UInt64 = 0
        /// Whether new probes may be started; false once shutdown begins.
        var accepting = true
        var running = false
        var counters = CheckerStatistics()
        var roundTrips = RTTHistogram()

        init(configuration: Configuration) {
            self.configuration = configuration
            self.policy = AddressPolicy(allow: configuration.allow)
            self.cache = configuration.makeCache()
        }

        /// Answers from the cache, joins the probe in flight, or starts a probe (policy already checked).
        mutating func admit(
            _ address: IPAddress,
            maxAge: UInt64?,
            timeoutMilliseconds: Int?,
            attempts: Int?,
            now: UInt64,
            jobs: AsyncStream<ProbeJob>.Continuation
        ) -> Admission {
            if let entry = cache.lookup(address, maxAge: maxAge, now: now) {
                counters.cacheHits += 1
                return .answered(.success(entry.verdict(for: address, now: now)))
            }
            let id = nextWaiter
            if inFlight[address] != nil {
                inFlight[address]!.waiters.append(id)
                counters.coalesced += 1
            } else {
                guard accepting else {
                    return .answered(.failure(.unavailable("the daemon is shutting down")))
                }
                let job = ProbeJob(
                    address: address,
                    timeout: .milliseconds(max(1, timeoutMilliseconds ?? configuration.timeoutMilliseconds)),
                    attempts: max(1, attempts ?? configuration.attempts)
                )
                guard case .enqueued = jobs.yield(job) else {
                    return .answered(.failure(.unavailable("the daemon is shutting down")))
                }
                inFlight[address] = InFlightProbe(waiters: [id])
            }
            nextWaiter += 1
            waiters[id] = .pending
            return .waiting(id)
        }

        /// Ends the probe of `address`: caches and counts its verdict and hands it to every waiter.
        ///
        /// - Returns: the continuations to resume with `result`, outside the lock.
        mutating func complete(
            _ address: IPAddress,
            outcome: ProbeOutcome.Result?,
            result: Result<Verdict, ProbeError>,
            now: UInt64
        ) -> [WaiterContinuation] {
            guard let probe = inFlight.removeValue(forKey: address) else { return [] }
            switch result {
            case .success(let verdict):
                cache.record(
                    address,
                    state: verdict.state,
                    evidence: verdict.evidence,
                    rttMicroseconds: verdict.rttMicroseconds,
                    mac: verdict.mac,
                    reason: verdict.reason,
                    now: now
                )
                counters.verdictsByState[verdict.state, default: 0] += 1
                counters.verdictsByEvidence[verdict.evidence, default: 0] += 1
                if let rtt = verdict.rttMicroseconds { roundTrips.record(rtt) }
            case .failure(let error):
                if outcome != nil { counters.probeErrors[error.code, default: 0] += 1 }
            }
            var continuations: [WaiterContinuation] = []
            continuations.reserveCapacity(probe.waiters.count)
            for id in probe.waiters {
                switch waiters[id] {
                case .waiting(let continuation)?:
                    waiters[id] = nil
                    continuations.append(continuation)
                case .pending?:
                    waiters[id] = .done(result)
                case .cancelled?, .done?, nil:
                    // A cancelled waiter's own task removes its slot.
                    break
                }
            }
            return continuations
        }

        /// Counts a request answered with `error`.
        mutating func count(_ error: ProbeError) {
            counters.errors[error.code, default: 0] += 1
        }
    }
}
