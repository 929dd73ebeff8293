package import ProbeConfig
package import ProbeProtocol
import Synchronization

extension Checker {
    /// A sweep probe the checker admitted, for the sweeper to start (``start(_:ended:)``).
    package struct SweepProbe: Sendable, Hashable {
        /// The probe; its `startedAt` is when it was admitted.
        let job: ProbeJob

        /// The address it probes.
        package var address: IPAddress { job.address }

        package static func == (lhs: Self, rhs: Self) -> Bool { lhs.job.id == rhs.job.id }
        package func hash(into hasher: inout Hasher) { hasher.combine(job.id) }
    }

    /// What came of asking for a sweep probe of one pool address.
    package enum SweepAdmission: Sendable, Hashable {
        /// A background probe is admitted: start it with ``start(_:ended:)``; its verdict lands in the cache.
        case started(SweepProbe)
        /// A probe of the address was already in flight (an on-demand one): the sweep shares it.
        case joined
        /// The address holds a live `mark`: it is not swept until the mark expires.
        case marked
        /// As many sweep probes as allowed are in flight; try again later.
        case busy
        /// The policy refuses the address, or the checker is shutting down.
        case refused

        /// The case, without the probe.
        package enum Kind: Sendable, Hashable {
            case started, joined, marked, busy, refused
        }

        /// The case, without the probe.
        package var kind: Kind {
            switch self {
            case .started: .started
            case .joined: .joined
            case .marked: .marked
            case .busy: .busy
            case .refused: .refused
            }
        }
    }

    /// A pool as the checker learns of it: the pool and how long a verdict about one of its
    /// addresses lives (nanoseconds; one sweep period plus a margin).
    package struct PoolMembership: Sendable {
        package var pool: ProbeConfig.Configuration.Pool
        package var verdictLifetime: UInt64

        package init(pool: ProbeConfig.Configuration.Pool, verdictLifetime: UInt64) {
            self.pool = pool
            self.verdictLifetime = verdictLifetime
        }
    }

    /// Installs the warm pools (at start and on every reload). Pools that sweep the same addresses
    /// as before keep what the checker knows of them; verdicts in the cache are never dropped here.
    ///
    /// - Parameters:
    ///   - pools: every pool with its verdict lifetime.
    ///   - maxSweeping: the most sweep probes in flight at once (at least 1).
    package func updatePools(_ pools: [PoolMembership], maxSweeping: Int) {
        state.withLock { state in
            state.pools.replace(with: pools.map { ($0.pool, $0.verdictLifetime) }, maxSweeping: maxSweeping)
        }
    }

    /// How many more sweep probes may start now.
    package func sweepCapacity() -> Int {
        state.withLock { $0.pools.sweepCapacity }
    }

    /// Admits a background probe of a pool address for the sweeper, with `probe.timeout_ms` and
    /// `probe.attempts`, unless a probe of the address is already in flight (the sweep then shares
    /// it) or a mark holds it. An on-demand check arriving while it runs shares it too.
    ///
    /// At most the sweep limit of them are in flight (``sweepCapacity()``), so a backlog of sweeps
    /// never crowds out an on-demand check.
    ///
    /// - Returns: what happened; `.started` carries the probe to run.
    package func sweep(_ address: IPAddress) -> SweepAdmission {
        sweep([address])[0]
    }

    /// Admits sweep probes of `addresses` like ``sweep(_:)``, under one acquisition of the lock.
    package func sweep(_ addresses: [IPAddress]) -> [SweepAdmission] {
        let now = clock()
        return state.withLock { state in
            // A tick's addresses: their lookups' cache misses overlap (see State.prefetch).
            if addresses.count > 1 { state.prefetch(addresses) }
            return addresses.map { address in Self.admitSweep(address, state: &state, now: now) }
        }
    }

    private static func admitSweep(_ address: IPAddress, state: inout State, now: UInt64) -> SweepAdmission {
        if state.policy.check(address) != nil { return .refused }
        if state.cache.hasLiveMark(address, now: now) { return .marked }
        // Any probe of the address in flight will do: nobody waits for a sweep.
        if state.inFlight.contains(address) { return .joined }
        guard state.pools.sweepCapacity > 0 else { return .busy }
        guard state.accepting else { return .refused }
        let timeout = max(1, state.configuration.timeoutMilliseconds)
        let job = ProbeJob(
            id: state.nextProbe,
            address: address,
            timeout: .milliseconds(timeout),
            attempts: max(1, state.configuration.attempts),
            startedAt: now
        )
        state.nextProbe += 1
        let deadline = now + Configuration.nanoseconds(milliseconds: timeout)
        state.inFlight.add(InFlightProbe(address: address, id: job.id, deadline: deadline, waiters: WaiterList()))
        state.counters.probesStarted += 1
        state.pools.sweepStarted(job.id)
        return .started(SweepProbe(job: job))
    }

    /// Starts a sweep probe at ``ProbePriority/background`` priority (its echoes wait while any
    /// on-demand echo is queued); when it ends, its verdict is cached, every check that shared it
    /// is answered, and `ended` learns how long after its deadline that was, in nanoseconds (0 when
    /// on time): a measure of how far behind the engine is.
    package func start(_ sweep: SweepProbe, ended: @escaping @Sendable (UInt64) -> Void = { _ in }) {
        start([sweep], ended: ended)
    }

    /// Starts the sweep probes of one tick of the sweeper together (one call into the prober).
    package func start(_ sweeps: [SweepProbe], ended: @escaping @Sendable (UInt64) -> Void = { _ in }) {
        start(sweeps.map(\.job), priority: .background, ended: ended)
    }

    /// Applies passive evidence (docs/pools.md): each entry is a neighbour event that showed a host
    /// on the link (``NeighborEvidence/showsHost(_:maxAge:)``). A pool address whose verdict is a
    /// live, unmarked `free` turns `in_use` with evidence `neighbor` and the entry's MAC at once.
    /// Addresses outside the pools, marks, and addresses without a `free` verdict are left alone.
    ///
    /// - Returns: how many verdicts turned.
    @discardableResult
    package func observeNeighbors(_ entries: [NeighborEntry]) -> Int {
        guard !entries.isEmpty else { return 0 }
        let now = clock()
        return state.withLock { state in
            guard !state.pools.isEmpty else { return 0 }
            var turned = 0
            for entry in entries {
                guard let (member, _) = state.pools.locate(entry.address),
                    let current = state.cache.peek(entry.address),
                    !current.isMark, !current.isExpired(at: now), current.state == .free
                else { continue }
                let verdict = Verdict(addr: entry.address, state: .inUse, evidence: .neighbor, mac: entry.linkLayerAddress)
                if state.record(verdict, for: entry.address, now: now) {
                    state.pools.countPassiveHit(member: member)
                    turned += 1
                }
            }
            return turned
        }
    }

    /// The verdicts held about the addresses of `pool`, counted in chunks so that a large pool
    /// never holds the lock for long.
    package func poolVerdicts(of pool: ProbeConfig.Configuration.Pool) -> PoolVerdictCounts {
        var counts = PoolVerdictCounts()
        var start = 0
        repeat {
            let end = min(pool.count, start + Self.poolChunk)
            let now = clock()
            state.withLock { state in
                let member = state.pools.members.first { $0.pool.addresses == pool.addresses }
                if start == 0 { counts.passiveHits = member?.passiveHits ?? 0 }
                for index in start..<end {
                    let address = pool.address(at: index)
                    if let entry = state.cache.peek(address), !entry.isExpired(at: now) {
                        counts.count(entry, now: now)
                    } else if member?.unsettled.contains(index) == true {
                        counts.unknown += 1
                    } else {
                        counts.none += 1
                    }
                }
            }
            start = end
        } while start < pool.count
        return counts
    }

    /// Addresses counted per acquisition of the lock by ``poolVerdicts(of:)``.
    static let poolChunk = 4096
}

extension Checker.State {
    /// Stores a probe's verdict about `address`: for a pool address it lives until the next sweep
    /// replaces it (its pool's verdict lifetime, or the state's TTL if longer), else for the state's
    /// TTL. An `unknown` verdict is not stored, nor does a verdict replace a live mark.
    ///
    /// - Returns: whether it was stored.
    @discardableResult
    mutating func record(_ verdict: Verdict, for address: IPAddress, now: UInt64) -> Bool {
        guard !pools.isEmpty, let lifetime = pools.lifetime(of: address), let ttl = cache.ttl(for: verdict.state) else {
            return cache.record(
                address,
                state: verdict.state,
                evidence: verdict.evidence,
                rttMicroseconds: verdict.rttMicroseconds,
                mac: verdict.mac,
                reason: verdict.reason,
                now: now
            )
        }
        let (expiry, overflow) = now.addingReportingOverflow(max(ttl, lifetime))
        let entry = VerdictCache.Entry(
            state: verdict.state,
            evidence: verdict.evidence,
            rttMicroseconds: verdict.rttMicroseconds,
            mac: verdict.mac,
            reason: verdict.reason,
            recordedAt: now,
            expiresAt: overflow ? .max : expiry
        )
        return cache.insert(entry, for: address, now: now)
    }

    /// Pool bookkeeping at the end of any probe (`id`) of `address`: a sweep probe no longer counts
    /// against the sweep limit, and a pool address remembers whether its last probe settled.
    mutating func poolProbeEnded(_ address: IPAddress, probe id: UInt64, result: Result<Verdict, ProbeError>) {
        let settled = if case .success(let verdict) = result { verdict.state != .unknown } else { false }
        pools.probeEnded(address, probe: id, settled: settled)
    }
}
