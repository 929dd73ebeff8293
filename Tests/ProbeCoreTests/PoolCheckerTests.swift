import ProbeConfig
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The checker's side of warm pools: sweep probes at background priority whose verdicts live
/// until the next sweep, `max_age_ms`, marks, coalescing with on-demand checks, the sweep limit,
/// passive evidence and the per-pool counts.
@Suite(.timeLimit(.minutes(1))) struct PoolCheckerTests {
    let ip = CheckerFixture.ip
    static let pool = PoolFixture.pool("198.51.100.100-198.51.100.109")

    @Test func sweepVerdictsComeFromBackgroundProbesAndOutliveTheStateTTL() async throws {
        let free = ip("198.51.100.100")
        let live = ip("198.51.100.101")
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: [free: .timeout, live: .reply(rttMicroseconds: 300)]) {
            checker, sweeps, prober, clock in
            #expect(sweeps.sweep(free) == .started)
            #expect(sweeps.sweep(live) == .started)
            await CheckerFixture.until { checker.poolVerdicts(of: Self.pool).free == 1 && checker.poolVerdicts(of: Self.pool).inUse == 1 }
            #expect(prober.allPriorities == [.background, .background])
            #expect(checker.statistics().checks == 0)

            // Past the free TTL (10 s) but within the pool's verdict lifetime (30 s): still served.
            clock.advance(by: .seconds(20))
            let cached = try await checker.check(CheckRequest(addr: free)).get()
            #expect(cached.cached)
            #expect(cached.state == .free)
            #expect(cached.ageMilliseconds == 20_000)
            // Past the lifetime: probed afresh, on demand.
            clock.advance(by: .seconds(11))
            let fresh = try await checker.check(CheckRequest(addr: free)).get()
            #expect(!fresh.cached)
            #expect(prober.priorities(free) == [.background, .normal])
        }
    }

    @Test func maxAgeDecidesWhetherASweepVerdictIsYoungEnough() async throws {
        let address = ip("198.51.100.102")
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: [address: .timeout]) { checker, sweeps, prober, clock in
            #expect(sweeps.sweep(address) == .started)
            await CheckerFixture.until { checker.poolVerdicts(of: Self.pool).free == 1 }
            clock.advance(by: .seconds(5))
            let young = try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 10_000)).get()
            #expect(young.cached)
            #expect(young.ageMilliseconds == 5000)
            #expect(prober.scripted.callCount(address) == 1)
            let tooOld = try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 1000)).get()
            #expect(!tooOld.cached)
            #expect(prober.scripted.callCount(address) == 2)
        }
    }

    @Test func aPickOfPoolAddressesIsAnsweredFromTheSweepsWithoutProbing() async throws {
        let (live, free) = (ip("198.51.100.100"), ip("198.51.100.101"))
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: [live: .reply(rttMicroseconds: 5), free: .timeout]) {
            checker, sweeps, prober, clock in
            #expect(sweeps.sweep(live) == .started)
            #expect(sweeps.sweep(free) == .started)
            await CheckerFixture.until { checker.sweepCapacity() == 100 }
            clock.advance(by: .seconds(4))
            let answer = try await checker.pick(PickRequest(addrs: [live, free], maxAgeMilliseconds: 10_000)).get()
            #expect(answer.addr == free)
            #expect(answer.results.compactMap(\.verdict).map(\.cached) == [true, true])
            #expect(prober.scripted.calls.count == 2)
        }
    }

    @Test func aMarkedAddressIsNotSweptAndPassiveEvidenceLeavesTheMark() async throws {
        let address = ip("198.51.100.103")
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: [address: .timeout]) { checker, sweeps, prober, clock in
            #expect(checker.mark(MarkRequest(addr: address, state: .free, ttlMilliseconds: 5000)).isSuccess)
            #expect(sweeps.sweep(address) == .marked)
            #expect(checker.observeNeighbors([PoolFixture.reachable(address)]) == 0)
            let marked = try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 0)).get()
            #expect(marked.evidence == .marked)
            #expect(marked.state == .free)
            #expect(prober.scripted.callCount(address) == 0)
            #expect(checker.poolVerdicts(of: Self.pool).marked == 1)
            // Once the mark expires, the address is swept again.
            clock.advance(by: .seconds(6))
            #expect(sweeps.sweep(address) == .started)
            await CheckerFixture.until { prober.scripted.callCount(address) == 1 }
        }
    }

    @Test func aSweepJoinsAnOnDemandProbeInFlight() async throws {
        let address = ip("198.51.100.104")
        try await PoolFixture.withPoolChecker(pools: [Self.pool]) { checker, sweeps, prober, clock in
            try await withThrowingTaskGroup(of: Verdict.self) { group in
                group.addTask { try await checker.check(CheckRequest(addr: address)).get() }
                await prober.scripted.waitUntilPending(address)
                #expect(sweeps.sweep(address) == .joined)
                prober.scripted.release(address, with: .timeout)
                let verdict = try await group.next()
                #expect(verdict?.state == .free)
                #expect(verdict?.cached == false)
            }
            #expect(prober.allPriorities == [.normal])
            // The on-demand verdict of a pool address lives like a sweep's.
            clock.advance(by: .seconds(20))
            #expect(try await checker.check(CheckRequest(addr: address)).get().cached)
        }
    }

    @Test func anOnDemandCheckSharesTheSweepProbeInFlight() async throws {
        let address = ip("198.51.100.105")
        try await PoolFixture.withPoolChecker(pools: [Self.pool]) { checker, sweeps, prober, _ in
            #expect(sweeps.sweep(address) == .started)
            await prober.scripted.waitUntilPending(address)
            try await withThrowingTaskGroup(of: Verdict.self) { group in
                group.addTask { try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 0)).get() }
                await CheckerFixture.until { checker.statistics().coalesced == 1 }
                prober.scripted.release(address, with: .reply(rttMicroseconds: 90))
                let verdict = try await group.next()
                #expect(verdict?.state == .inUse)
                #expect(verdict?.cached == false)
            }
            #expect(prober.scripted.callCount(address) == 1)
        }
    }

    @Test func sweepProbesInFlightAreBounded() async throws {
        let (first, second, third) = (ip("198.51.100.106"), ip("198.51.100.107"), ip("198.51.100.108"))
        try await PoolFixture.withPoolChecker(pools: [Self.pool], maxSweeping: 2) { checker, sweeps, prober, _ in
            #expect(checker.sweepCapacity() == 2)
            #expect(sweeps.sweep(first) == .started)
            #expect(sweeps.sweep(second) == .started)
            #expect(checker.sweepCapacity() == 0)
            #expect(sweeps.sweep(third) == .busy)
            // On-demand checks are not bounded by it.
            try await withThrowingTaskGroup(of: Verdict.self) { group in
                group.addTask { try await checker.check(CheckRequest(addr: third)).get() }
                await prober.scripted.waitUntilPending(first, second, third)
                prober.scripted.release(first, with: .timeout)
                await CheckerFixture.until { checker.sweepCapacity() == 1 }
                prober.scripted.release(second, with: .timeout)
                prober.scripted.release(third, with: .timeout)
                _ = try await group.next()
            }
            await CheckerFixture.until { checker.sweepCapacity() == 2 }
        }
    }

    @Test func passiveEvidenceTurnsAFreePoolVerdictInUseAtOnce() async throws {
        let pooled = ip("198.51.100.100")
        let unswept = ip("198.51.100.101")
        let outside = ip("198.51.100.50")
        let answers: [IPAddress: ProbeOutcome.Result] = [pooled: .timeout, outside: .timeout]
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: answers) { checker, sweeps, _, clock in
            #expect(sweeps.sweep(pooled) == .started)
            await CheckerFixture.until { checker.poolVerdicts(of: Self.pool).free == 1 }
            #expect(try await checker.check(CheckRequest(addr: outside)).get().state == .free)
            clock.advance(by: .seconds(2))

            let entries = [pooled, unswept, outside].map { PoolFixture.reachable($0) }
            #expect(checker.observeNeighbors(entries) == 1)
            let turned = try await checker.check(CheckRequest(addr: pooled, maxAgeMilliseconds: 100)).get()
            #expect(turned.state == .inUse)
            #expect(turned.evidence == .neighbor)
            #expect(turned.mac == "02:00:00:00:00:42")
            #expect(turned.cached)
            #expect(turned.ageMilliseconds == 0)
            // Outside the pools, and without a free verdict, nothing changes.
            #expect(try await checker.check(CheckRequest(addr: outside)).get().state == .free)
            let counts = checker.poolVerdicts(of: Self.pool)
            #expect(counts.passiveHits == 1)
            #expect(counts.inUse == 1)
            #expect(counts.none == 9)
            // An in-use verdict is not touched again.
            #expect(checker.observeNeighbors(entries) == 0)
        }
    }

    @Test func poolVerdictsCountEachAddressOnceByState() async throws {
        let answers: [IPAddress: ProbeOutcome.Result] = [
            ip("198.51.100.100"): .reply(rttMicroseconds: 10),
            ip("198.51.100.101"): .neighbor(mac: "02:00:00:00:00:14"),
            ip("198.51.100.102"): .timeout,
            ip("198.51.100.103"): .notSent(reason: "not sent in time"),
            ip("198.51.100.104"): .overloaded,
        ]
        try await PoolFixture.withPoolChecker(pools: [Self.pool], answers: answers) { checker, sweeps, _, clock in
            for address in answers.keys.sorted(by: { $0.description < $1.description }) {
                #expect(sweeps.sweep(address) == .started)
            }
            await CheckerFixture.until { checker.sweepCapacity() == 100 }
            clock.advance(by: .seconds(3))
            #expect(checker.mark(MarkRequest(addr: ip("198.51.100.105"), state: .inUse)).isSuccess)
            let counts = checker.poolVerdicts(of: Self.pool)
            #expect(counts.inUse == 3)
            #expect(counts.free == 1)
            #expect(counts.unknown == 2)
            #expect(counts.none == 4)
            #expect(counts.marked == 1)
            #expect(counts.oldestAge == 3 * PoolFixture.second)
            // A later probe that settles nothing leaves it unknown.
            #expect(sweeps.sweep(ip("198.51.100.104")) == .started)  // still overloaded
            await CheckerFixture.until { checker.sweepCapacity() == 100 }
            #expect(checker.poolVerdicts(of: Self.pool).unknown == 2)
        }
    }

    @Test func poolsReplacedKeepTheVerdictsAndWhatIsKnownOfPoolsStillThere() async throws {
        let kept = PoolFixture.pool("198.51.100.100-198.51.100.103")
        let dropped = PoolFixture.pool("198.51.100.110-198.51.100.113")
        let (inKept, inDropped) = (ip("198.51.100.100"), ip("198.51.100.110"))
        let answers: [IPAddress: ProbeOutcome.Result] = [inKept: .timeout, inDropped: .timeout]
        try await PoolFixture.withPoolChecker(pools: [kept, dropped], answers: answers) { checker, sweeps, _, clock in
            #expect(sweeps.sweep(inKept) == .started)
            #expect(sweeps.sweep(inDropped) == .started)
            await CheckerFixture.until { checker.sweepCapacity() == 100 }
            #expect(checker.observeNeighbors([PoolFixture.reachable(inKept)]) == 1)
            checker.updatePools([Checker.PoolMembership(pool: kept, verdictLifetime: 30 * PoolFixture.second)], maxSweeping: 10)
            #expect(checker.sweepCapacity() == 10)
            #expect(checker.poolVerdicts(of: kept).passiveHits == 1)
            #expect(checker.poolVerdicts(of: kept).inUse == 1)
            // The removed pool's verdict stays until it expires; it is no longer a pool address.
            let stillCached = try await checker.check(CheckRequest(addr: inDropped)).get()
            #expect(stillCached.cached)
            #expect(checker.observeNeighbors([PoolFixture.reachable(inDropped)]) == 0)
            clock.advance(by: .seconds(31))
            let expired = try await checker.check(CheckRequest(addr: inDropped)).get()
            #expect(!expired.cached)
            // Its new verdict lives for the free TTL (10 s) only.
            clock.advance(by: .seconds(11))
            let again = try await checker.check(CheckRequest(addr: inDropped)).get()
            #expect(!again.cached)
        }
    }
}
