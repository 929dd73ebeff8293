import ProbeConfig
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The sweeps slow down while their probes end late (the engine is behind), and speed up again.
@Suite struct PoolPaceTests {
    static let millisecond: UInt64 = 1_000_000
    static let start: UInt64 = 1_000_000 * millisecond

    @Test func lateProbesSlowTheSweepsAndOnTimeOnesSpeedThemUpAgain() {
        var pace = PoolPace(window: 300 * Self.millisecond, now: Self.start)
        pace.note(overrun: 80 * Self.millisecond)
        // Judged once per window.
        #expect(pace.update(now: Self.start + 299 * Self.millisecond) == nil)
        #expect(pace.update(now: Self.start + 300 * Self.millisecond) == 0.7)
        // The window starts over: nothing late in it, so a step back up.
        let up = pace.update(now: Self.start + 600 * Self.millisecond)
        #expect(abs((up ?? 0) - 0.75) < 1e-9)
        // Somewhat late (between 10 and 50 ms): hold.
        pace.note(overrun: 30 * Self.millisecond)
        #expect(pace.update(now: Self.start + 900 * Self.millisecond) == nil)
        #expect(abs(pace.factor - 0.75) < 1e-9)
        var now = Self.start + 900 * Self.millisecond
        for _ in 0..<10 {
            now += 300 * Self.millisecond
            _ = pace.update(now: now)
        }
        #expect(pace.factor == 1)
        now += 300 * Self.millisecond
        #expect(pace.update(now: now) == nil)
    }

    @Test func theSlowestPaceIsATwentieth() {
        var pace = PoolPace(window: 100 * Self.millisecond, now: Self.start)
        var now = Self.start
        for _ in 0..<20 {
            pace.note(overrun: 500 * Self.millisecond)
            now += 100 * Self.millisecond
            _ = pace.update(now: now)
        }
        #expect(pace.factor == PoolSchedule.minimumPace)
    }

    @Test func aSlowerPaceLengthensEveryIntervalAndPeriod() {
        let pools = [PoolFixture.pool("198.51.100.100-198.51.100.199", refresh: 10), PoolFixture.pool("2001:db8::/120", refresh: 10)]
        var schedule = PoolSchedule(pools: pools, attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        let planned = schedule.lanes.map(\.interval)
        #expect(abs(schedule.plannedProbesPerSecond - (10 + 25.6)) < 1e-6)
        schedule.setPace(0.5)
        #expect(schedule.pace == 0.5)
        #expect(schedule.lanes.map(\.interval) == planned.map { $0 * 2 })
        #expect(schedule.lanes[0].period == 20_000 * Self.millisecond)
        #expect(abs(schedule.echoesPerSecond - 2 * (10 + 25.6) / 2) < 1e-6)
        #expect(abs(schedule.plannedProbesPerSecond - (10 + 25.6)) < 1e-6)
        schedule.setPace(0.001)
        #expect(schedule.pace == PoolSchedule.minimumPace)
        schedule.setPace(3)
        #expect(schedule.lanes.map(\.interval) == planned)
    }
}
