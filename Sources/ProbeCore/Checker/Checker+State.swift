import ProbeProtocol

extension Checker {
    /// One probe for the run loop to start.
    struct ProbeJob: Sendable {
        /// Which in-flight probe of the address this job runs.
        var id: UInt64
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
        var id: UInt64
        /// When the probe ends at the latest (monotonic ns).
        var deadline: UInt64
        var waiters: [UInt64]
        /// Whether the run loop has handed it to the prober (an unstarted one is answered at shutdown).
        var started = false
    }

    /// How much later than its own deadline a request may be answered when it joins a probe
    /// already in flight, rather than start one of its own.
    static let joinSlack: UInt64 = 5_000_000

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
        /// The probes in flight, by address: usually one; more when a request with a shorter
        /// deadline could not wait for the one already running.
        var inFlight: [IPAddress: [InFlightProbe]] = [:]
        var nextProbe: UInt64 = 0
        var waiters: [UInt64: WaiterSlot] = [:]
        var nextWaiter: UInt64 = 0
        /// Whether new probes may be started; false once shutdown begins.
        var accepting = true
        var running = false
        var counters = CheckerStatistics()
        var roundTrips = RTTHistogram()
        /// The warm pools (DESIGN §3a): see `Checker+Pools.swift`.
        var pools = PoolIndex()

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
            let timeout = max(1, timeoutMilliseconds ?? configuration.timeoutMilliseconds)
            let deadline = now + Configuration.nanoseconds(milliseconds: timeout)
            // Join a probe in flight that ends by this request's own deadline; a longer one would
            // make the request wait past what it asked for.
            if let index = inFlight[address]?.firstIndex(where: { $0.deadline <= deadline + Checker.joinSlack }) {
                inFlight[address]![index].waiters.append(id)
                counters.coalesced += 1
            } else {
                guard accepting else {
                    return .answered(.failure(.unavailable("the daemon is shutting down")))
                }
                let job = ProbeJob(
                    id: nextProbe,
                    address: address,
                    timeout: .milliseconds(timeout),
                    attempts: max(1, attempts ?? configuration.attempts)
                )
                guard case .enqueued = jobs.yield(job) else {
                    return .answered(.failure(.unavailable("the daemon is shutting down")))
                }
                nextProbe += 1
                inFlight[address, default: []].append(InFlightProbe(id: job.id, deadline: deadline, waiters: [id]))
            }
            nextWaiter += 1
            waiters[id] = .pending
            return .waiting(id)
        }

        /// Ends the probe of `address`: caches and counts its verdict and hands it to every waiter.
        ///
        /// - Returns: the continuations to resume with `result`, outside the lock.
        /// Takes probe `id` of `address` out of the in-flight table.
        mutating func removeInFlight(_ address: IPAddress, id: UInt64) -> InFlightProbe? {
            guard let index = inFlight[address]?.firstIndex(where: { $0.id == id }) else { return nil }
            let probe = inFlight[address]!.remove(at: index)
            if inFlight[address]!.isEmpty { inFlight[address] = nil }
            return probe
        }

        mutating func complete(
            _ address: IPAddress,
            probe id: UInt64,
            outcome: ProbeOutcome.Result?,
            result: Result<Verdict, ProbeError>,
            now: UInt64
        ) -> [WaiterContinuation] {
            guard let probe = removeInFlight(address, id: id) else { return [] }
            poolProbeEnded(address, probe: id, result: result)
            switch result {
            case .success(let verdict):
                // A pool address's verdict lives until the next sweep (Checker+Pools.swift).
                record(verdict, for: address, now: now)
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
        mutating func count(_ verdict: Verdict) {
            counters.answers[CheckerStatistics.Answer(state: verdict.state, evidence: verdict.evidence), default: 0] += 1
        }

        mutating func count(_ error: ProbeError) {
            counters.errors[error.code, default: 0] += 1
        }
    }
}
