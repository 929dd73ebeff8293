package import ProbeProtocol

extension Checker {
    /// One probe for the run loop to start.
    struct ProbeJob: Sendable {
        /// Which in-flight probe of the address this job runs.
        var id: UInt64
        var address: IPAddress
        var timeout: Duration
        var attempts: Int
        /// When its deadline starts counting (``MonotonicTime``): when the request was read.
        var startedAt: UInt64
    }

    /// Where the answer of a request waiting for a probe goes: called once, outside the lock, on
    /// whatever thread settled the probe (in the daemon an event loop, through ``OutcomeQueue``).
    /// It must not block.
    package typealias Answer = @Sendable (Result<Verdict, ProbeError>) -> Void

    /// Where the answers of the requests of one read go, each told its request's id: one closure
    /// for them all (a closure for each would cost a probe in flight about 80 bytes more).
    package typealias SharedAnswer = @Sendable (Result<Verdict, ProbeError>, ResponseID) -> Void

    /// A request waiting for the verdict of a probe in flight.
    struct Waiter {
        enum Destination {
            case own(Answer)
            case shared(SharedAnswer, ResponseID)
        }

        let destination: Destination
        /// Whether its answer counts in `answers`/`errors` (a `check`; a `pick` counts its own).
        let counted: Bool

        init(answer: @escaping Answer, counted: Bool) {
            self.init(.own(answer), counted: counted)
        }

        init(_ destination: Destination, counted: Bool) {
            self.destination = destination
            self.counted = counted
        }

        func answer(_ result: Result<Verdict, ProbeError>) {
            switch destination {
            case .own(let answer): answer(result)
            case .shared(let answer, let id): answer(result, id)
            }
        }
    }

    /// A probe in flight and who waits for it.
    struct InFlightProbe {
        var address: IPAddress
        var id: UInt64
        /// When the probe ends at the latest (monotonic ns).
        var deadline: UInt64
        var waiters: WaiterList
    }

    /// How much later than its own deadline a request may be answered when it joins a probe
    /// already in flight, rather than start one of its own.
    static let joinSlack: UInt64 = 5_000_000

    /// What a request about one address gets at once.
    enum Admission {
        /// An answer: from the cache, or an error.
        case answered(Result<Verdict, ProbeError>)
        /// Its waiter joined a probe in flight.
        case joined
        /// Its waiter waits for a new probe, which the caller must start (outside the lock).
        case start(ProbeJob)
    }

    /// Everything the lock guards.
    struct State {
        var configuration: Configuration
        var policy: AddressPolicy
        var cache: VerdictCache
        /// The probes in flight, by address: usually one; more when a request with a shorter
        /// deadline could not wait for the one already running.
        var inFlight = InFlightTable()
        var nextProbe: UInt64 = 0
        /// Whether new probes may be started; false once shutdown begins.
        var accepting = true
        var running = false
        /// ``Checker/run()`` waiting for the last probe to end after shutdown began.
        var drained: CheckedContinuation<Void, Never>?
        /// ``Checker/run()`` was cancelled: waiters were answered, late verdicts are dropped.
        var abandoned = false
        var counters = CheckerStatistics()
        var roundTrips = RTTHistogram()
        /// The warm pools (docs/pools.md): see `Checker+Pools.swift`.
        var pools = PoolIndex()

        init(configuration: Configuration) {
            self.configuration = configuration
            self.policy = AddressPolicy(allow: configuration.allow)
            self.cache = configuration.makeCache()
        }

        /// Answers from the cache, joins the probe in flight, or registers `answer` on a new probe
        /// for the caller to start (policy already checked). A new probe's deadline counts from
        /// `receivedAt`, when the request was read.
        mutating func admit(
            _ address: IPAddress,
            maxAge: UInt64?,
            timeoutMilliseconds: Int?,
            attempts: Int?,
            now: UInt64,
            receivedAt: UInt64,
            waiter: Waiter
        ) -> Admission {
            if let entry = cache.lookup(address, maxAge: maxAge, now: now) {
                counters.cacheHits += 1
                return .answered(.success(entry.verdict(for: address, now: now)))
            }
            let timeout = max(1, timeoutMilliseconds ?? configuration.timeoutMilliseconds)
            let deadline = receivedAt + Configuration.nanoseconds(milliseconds: timeout)
            // Join a probe in flight that ends by this request's own deadline; a longer one would
            // make the request wait past what it asked for.
            if inFlight.join(address, endingBy: deadline + Checker.joinSlack, waiter: waiter) {
                counters.coalesced += 1
                return .joined
            }
            guard accepting else {
                return .answered(.failure(.unavailable("the daemon is shutting down")))
            }
            let job = ProbeJob(
                id: nextProbe,
                address: address,
                timeout: .milliseconds(timeout),
                attempts: max(1, attempts ?? configuration.attempts),
                startedAt: receivedAt
            )
            nextProbe += 1
            inFlight.add(InFlightProbe(address: address, id: job.id, deadline: deadline, waiters: WaiterList(waiter)))
            counters.probesStarted += 1
            return .start(job)
        }

        /// Starts loading what looking up `addresses` will read (index buckets, then the probes
        /// and cache entries they lead to), so that those cache misses overlap instead of coming
        /// one after another: a burst's deadlines end thousands of probes together, and a sweep's
        /// tick admits dozens.
        func prefetch(_ addresses: some Collection<IPAddress>) {
            for address in addresses {
                inFlight.prefetchBucket(address)
                cache.prefetchBucket(address)
            }
            for address in addresses {
                inFlight.prefetchProbe(address)
                cache.prefetchEntry(address)
            }
        }

        /// Ends probe `id` of `address`: caches and counts its verdict.
        ///
        /// - Returns: the waiters to answer with `result`, outside the lock.
        mutating func complete(
            _ address: IPAddress,
            probe id: UInt64,
            outcome: ProbeOutcome.Result?,
            result: Result<Verdict, ProbeError>,
            now: UInt64
        ) -> WaiterList {
            guard let probe = inFlight.remove(address, id: id) else { return WaiterList() }
            poolProbeEnded(address, probe: id, result: result)
            switch result {
            case .success(let verdict):
                // A pool address's verdict lives until the next sweep (Checker+Pools.swift).
                record(verdict, for: address, now: now)
                counters.verdicts.add(verdict.state, verdict.evidence)
                if let rtt = verdict.rttMicroseconds { roundTrips.record(rtt) }
            case .failure(let error):
                if outcome != nil { counters.probeErrors[error.code, default: 0] += 1 }
            }
            probe.waiters.forEach { waiter in
                guard waiter.counted else { return }
                switch result {
                case .success(let verdict): count(verdict)
                case .failure(let error): count(error)
                }
            }
            return probe.waiters
        }

        /// The continuation of ``Checker/run()`` to resume, once shutdown has begun and no probe
        /// is left in flight.
        mutating func takeDrainedIfDone() -> CheckedContinuation<Void, Never>? {
            guard !accepting, inFlight.isEmpty else { return nil }
            defer { drained = nil }
            return drained
        }

        /// Counts a request answered with `error`.
        mutating func count(_ verdict: Verdict) {
            counters.answers.add(verdict.state, verdict.evidence)
        }

        mutating func count(_ error: ProbeError) {
            counters.errors[error.code, default: 0] += 1
        }
    }
}
