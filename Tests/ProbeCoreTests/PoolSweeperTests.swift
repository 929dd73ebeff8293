import ProbeConfig
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The sweeper driven tick by tick on a manual clock: paced probes through the checker, marks
/// skipped, statistics, reloads.
@Suite(.timeLimit(.minutes(1))) struct PoolSweeperTests {
    let ip = CheckerFixture.ip

    /// Runs `body` with a sweeper over `pools`, a running checker and a runner for the sweep
    /// probes, all on one manual clock.
    func withSweeper(
        _ pools: [Configuration.Pool],
        maxEchoesPerSecond: Int = 5000,
        answers: [IPAddress: ProbeOutcome.Result],
        _ body: (PoolSweeper, Checker, SweepRunner, PriorityRecordingProber, ManualClock) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let prober = PriorityRecordingProber(answers: answers)
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober, clock: { clock.now })
        let sweeper = PoolSweeper(
            configuration: PoolSweeper.Configuration(pools: pools, maxEchoesPerSecond: maxEchoesPerSecond),
            checker: checker,
            clock: { clock.now }
        )
        try await SweepRunner.with(checker) { runner in
            try await body(sweeper, checker, runner, prober, clock)
        }
    }

    /// Ticks every `step` for `duration` of manual time.
    func tick(
        _ sweeper: PoolSweeper, _ runner: SweepRunner, _ clock: ManualClock, for duration: Duration,
        step: Duration = .milliseconds(10)
    ) {
        let end = clock.now + MonotonicTime.nanoseconds(duration)
        while clock.now < end {
            sweeper.tick(now: clock.now, start: runner.start)
            clock.advance(by: step)
        }
    }

    @Test func oneRefreshPeriodSweepsEveryAddressOnceAtBackgroundPriority() async throws {
        let pool = PoolFixture.pool("198.51.100.100-198.51.100.109", refresh: 1)
        var answers: [IPAddress: ProbeOutcome.Result] = [:]
        for (index, address) in pool.addresses.enumerated() {
            answers[address] = index < 3 ? .reply(rttMicroseconds: 50) : .timeout
        }
        try await withSweeper([pool], answers: answers) { sweeper, checker, runner, prober, clock in
            let idle = checker.sweepCapacity()
            // A pass takes 650 ms (refresh_s less the 300 ms deadline and 50 ms), so that no
            // verdict gets older than a second: the first address at once, then one every 65 ms.
            #expect(sweeper.tick(now: clock.now, start: runner.start) == clock.now + 65_000_000)
            await CheckerFixture.until { prober.scripted.calls.count == 1 }
            #expect(prober.scripted.calls.first?.address == ip("198.51.100.100"))
            tick(sweeper, runner, clock, for: .milliseconds(640))
            await CheckerFixture.until { checker.sweepCapacity() == idle }
            #expect(prober.scripted.calls.count == 10)
            #expect(Set(prober.scripted.calls.map(\.address)) == Set(pool.addresses))
            #expect(prober.scripted.calls.allSatisfy { $0.timeout == .milliseconds(300) && $0.attempts == 2 })
            #expect(prober.allPriorities.allSatisfy { $0 == .background })

            let statistics = sweeper.statistics()
            #expect(statistics.count == 1)
            let figures = try #require(statistics.first)
            #expect(figures.pool == "198.51.100.100-198.51.100.109")
            #expect(figures.size == 10)
            #expect(figures.periodMilliseconds == 650)
            #expect(figures.sweepsCompleted == 1)
            #expect(figures.probesStarted == 10)
            #expect(figures.verdicts.inUse == 3)
            #expect(figures.verdicts.free == 7)
            #expect(figures.verdicts.none == 0)
            // Answered from the sweep, not probed.
            let verdict = try await checker.check(CheckRequest(addr: ip("198.51.100.109"), maxAgeMilliseconds: 1000)).get()
            #expect(verdict.cached)
            #expect(prober.scripted.calls.count == 10)
        }
    }

    @Test func markedAddressesAreSkippedUntilTheMarkExpires() async throws {
        let pool = PoolFixture.pool("198.51.100.100-198.51.100.103", refresh: 1)
        let marked = ip("198.51.100.101")
        let answers = Dictionary(uniqueKeysWithValues: pool.addresses.map { ($0, ProbeOutcome.Result.timeout) })
        try await withSweeper([pool], answers: answers) { sweeper, checker, runner, prober, clock in
            // One address every 162.5 ms: the marked one at 162.5 ms, and again at 812.5 ms.
            #expect(checker.mark(MarkRequest(addr: marked, state: .inUse, ttlMilliseconds: 500)).isSuccess)
            tick(sweeper, runner, clock, for: .milliseconds(640))
            await CheckerFixture.until { prober.scripted.calls.count == 3 }
            #expect(prober.scripted.callCount(marked) == 0)
            #expect(sweeper.statistics().first?.skippedMarked == 1)
            #expect(sweeper.statistics().first?.probesStarted == 3)
            tick(sweeper, runner, clock, for: .milliseconds(640))
            await CheckerFixture.until { prober.scripted.callCount(marked) == 1 }
            #expect(sweeper.statistics().first?.skippedMarked == 1)
        }
    }

    @Test func theCapStretchesThePeriodThatStatisticsReport() async throws {
        // 1,000 addresses every 650 ms with two echoes each want 3,077 echoes/s; 500 are allowed.
        let pool = PoolFixture.pool("198.51.100.0-198.51.103.231", refresh: 1)
        try await withSweeper([pool], maxEchoesPerSecond: 500, answers: [:]) { sweeper, _, _, _, _ in
            let figures = try #require(sweeper.statistics().first)
            #expect(figures.periodMilliseconds == 4000)
            #expect(figures.verdicts.none == 1000)
            #expect(figures.verdicts.oldestAge == nil)
        }
    }

    @Test func aReloadStartsNewPoolsStopsRemovedOnesAndKeepsVerdicts() async throws {
        let kept = PoolFixture.pool("198.51.100.100-198.51.100.101", refresh: 1)
        let removed = PoolFixture.pool("198.51.100.110-198.51.100.111", refresh: 1)
        let added = PoolFixture.pool("2001:db8::10-2001:db8::11", refresh: 1)
        var answers: [IPAddress: ProbeOutcome.Result] = [:]
        for address in Array(kept.addresses) + Array(removed.addresses) + Array(added.addresses) {
            answers[address] = .timeout
        }
        try await withSweeper([kept, removed], answers: answers) { sweeper, checker, runner, prober, clock in
            let idle = checker.sweepCapacity()
            tick(sweeper, runner, clock, for: .milliseconds(640))
            await CheckerFixture.until { checker.sweepCapacity() == idle }
            #expect(prober.scripted.calls.count == 4)

            var refreshed = kept
            refreshed.refreshSeconds = 2
            sweeper.update(PoolSweeper.Configuration(pools: [refreshed, added]))
            let reloadedIdle = checker.sweepCapacity()
            #expect(sweeper.statistics().map(\.pool) == [kept.description, added.description])
            #expect(sweeper.statistics().first?.sweepsCompleted == 1)
            #expect(sweeper.configuration.pools.map(\.refreshSeconds) == [2, 1])
            // Verdicts of the kept pool are still there.
            #expect(sweeper.statistics().first?.verdicts.free == 2)

            tick(sweeper, runner, clock, for: .seconds(2))
            await CheckerFixture.until { checker.sweepCapacity() == reloadedIdle }
            let calls = prober.scripted.calls.dropFirst(4).map(\.address)
            #expect(Set(calls) == Set(Array(kept.addresses) + Array(added.addresses)))
            #expect(!calls.contains { removed.contains($0) })
        }
    }

    @Test func sweepProbesInFlightAreBoundedByWhatTheScheduleNeeds() {
        let defaults = PoolSweeper.Configuration(pools: [])
        // 2,500 probes a second for 300 ms each, a quarter to spare, and 16.
        #expect(defaults.maxSweeping(probesPerSecond: 2500) == 954)
        #expect(defaults.maxSweeping(probesPerSecond: 1) == 17)
        #expect(defaults.maxSweeping(probesPerSecond: 0) == 16)
        // At most a quarter of probe.max_in_flight, and of one family's sequence numbers.
        #expect(PoolSweeper.Configuration(pools: [], maxInFlight: 400).maxSweeping(probesPerSecond: 2500) == 100)
        #expect(PoolSweeper.Configuration(pools: [], timeout: .seconds(10), maxInFlight: 1_000_000).maxSweeping(probesPerSecond: 5000) == 16_384)
        #expect(PoolSweeper.Configuration(pools: [], maxInFlight: 1).maxSweeping(probesPerSecond: 10) == 1)
    }

    @Test func sweepProbesEndingLateSlowTheSweeps() async throws {
        let pool = PoolFixture.pool("198.51.100.100-198.51.100.109", refresh: 1)
        let answers = Dictionary(uniqueKeysWithValues: pool.addresses.map { ($0, ProbeOutcome.Result.timeout) })
        try await withSweeper([pool], answers: answers) { sweeper, _, runner, _, clock in
            sweeper.tick(now: clock.now, start: runner.start)
            // A probe ended 100 ms past its deadline: the engine is behind.
            sweeper.noteEnded(overrun: 100_000_000)
            clock.advance(by: .milliseconds(300))
            sweeper.tick(now: clock.now, start: runner.start)
            let figures = try #require(sweeper.statistics().first)
            #expect(figures.pacePercent == 70)
            #expect(figures.periodMilliseconds == 928)  // 650 ms at 70 %
            // Probes on time again: back up by 5 % a window.
            clock.advance(by: .milliseconds(300))
            sweeper.tick(now: clock.now, start: runner.start)
            #expect(sweeper.statistics().first?.pacePercent == 75)
        }
    }
}
