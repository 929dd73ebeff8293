import ProbeConfig
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The pacing of pool sweeps: even spread, the `pools_max_pps` cap, catch-up without bursts,
/// cursors kept over a reload.
@Suite struct PoolScheduleTests {
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000
    static let start: UInt64 = 1_000 * second

    static func pool(_ text: String, refresh: Int = 10) -> Configuration.Pool {
        let source: Configuration.Pool.Source =
            if text.contains("/") { .prefix(IPPrefix(text)!) } else { .range(IPRange(text)!) }
        return Configuration.Pool(source: source, refreshSeconds: refresh)!
    }

    /// Ticks every `step` from `from` to `to` (exclusive) and returns every slot with its time.
    static func run(
        _ schedule: inout PoolSchedule,
        from: UInt64,
        to: UInt64,
        step: UInt64 = millisecond,
        limit: Int = .max
    ) -> [(time: UInt64, slot: PoolSchedule.Slot)] {
        var taken: [(UInt64, PoolSchedule.Slot)] = []
        var now = from
        while now < to {
            taken += schedule.takeDue(now: now, limit: limit).map { (now, $0) }
            now += step
        }
        return taken
    }

    @Test func aPoolIsSweptOncePerPeriodOneAddressAtATimeInOrder() {
        // 100 addresses every 10 s: one every 100 ms.
        var schedule = PoolSchedule(
            pools: [Self.pool("198.51.100.100-198.51.100.199")], attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        #expect(schedule.scale == 1)
        #expect(schedule.lanes[0].interval == 100 * Self.millisecond)
        #expect(schedule.lanes[0].period == 10 * Self.second)
        let taken = Self.run(&schedule, from: Self.start, to: Self.start + 10 * Self.second)
        #expect(taken.count == 100)
        #expect(taken.map(\.slot.index) == Array(0..<100))
        #expect(taken.first?.slot.address == IPAddress("198.51.100.100"))
        #expect(taken.last?.slot.address == IPAddress("198.51.100.199"))
        // Evenly spread: consecutive probes exactly one interval apart, never two at once.
        for (earlier, later) in zip(taken, taken.dropFirst()) {
            #expect(later.time - earlier.time == 100 * Self.millisecond)
        }
        #expect(schedule.lanes[0].sweepsCompleted == 1)
        #expect(schedule.lanes[0].cursor == 0)
        // The next pass starts over.
        #expect(schedule.takeDue(now: Self.start + 10 * Self.second, limit: 10).map(\.index) == [0])
    }

    @Test func aLeadShortensThePeriodToAtMostHalfOfRefresh() {
        #expect(PoolSchedule.period(refreshSeconds: 10, lead: 350 * Self.millisecond) == 9650 * Self.millisecond)
        #expect(PoolSchedule.period(refreshSeconds: 1, lead: 350 * Self.millisecond) == 650 * Self.millisecond)
        #expect(PoolSchedule.period(refreshSeconds: 1, lead: 2 * Self.second) == 500 * Self.millisecond)
        let schedule = PoolSchedule(
            pools: [Self.pool("198.51.100.0/24", refresh: 2)], attempts: 2, maxEchoesPerSecond: 5000,
            lead: 350 * Self.millisecond, now: Self.start)
        #expect(schedule.lanes[0].period <= 1650 * Self.millisecond)
        #expect(schedule.lanes[0].period > 1649 * Self.millisecond)
    }

    @Test func poolsThatFitKeepTheirPeriods() {
        let pools = [Self.pool("198.51.100.0/24", refresh: 10), Self.pool("2001:db8:100::/120", refresh: 30)]
        let schedule = PoolSchedule(pools: pools, attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        #expect(schedule.scale == 1)
        #expect(schedule.lanes.map(\.pool.count) == [254, 256])
        // 254 addresses over 10 s, 256 over 30 s, two echoes each.
        #expect(abs(schedule.echoesPerSecond - (2 * 254 / 10.0 + 2 * 256 / 30.0)) < 0.01)
        for lane in schedule.lanes {
            let period = Double(lane.period) / 1e9
            #expect(abs(period - Double(lane.pool.refreshSeconds)) < 0.001, "\(lane.pool): \(period) s")
        }
    }

    @Test func theCapWinsAndEveryPeriodStretchesByTheSameFactor() {
        // 65,534 addresses every 10 s and 1,000 every second, two echoes a probe: 15,107 echoes/s wanted.
        let pools = [Self.pool("198.18.0.0/16", refresh: 10), Self.pool("198.51.100.0-198.51.103.231", refresh: 1)]
        #expect(pools[1].count == 1000)
        var schedule = PoolSchedule(pools: pools, attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        #expect(abs(schedule.scale - 5000 / (2 * 65534 / 10.0 + 2 * 1000 / 1.0)) < 1e-9)
        #expect(schedule.echoesPerSecond <= 5000)
        #expect(schedule.echoesPerSecond > 4999)
        let stretch0 = Double(schedule.lanes[0].period) / 10e9
        let stretch1 = Double(schedule.lanes[1].period) / 1e9
        #expect(abs(stretch0 - 1 / schedule.scale) < 0.001)
        #expect(abs(stretch1 - 1 / schedule.scale) < 0.001)
        // Over ten simulated seconds the probes sent stay within the cap, counted in echoes.
        let taken = Self.run(&schedule, from: Self.start, to: Self.start + 10 * Self.second)
        #expect(Double(taken.count * 2) <= 5000 * 10 + 4)
        #expect(Double(taken.count * 2) >= 5000 * 10 * 0.99)
        // And in every 100 ms window.
        var windows: [UInt64: Int] = [:]
        for (time, _) in taken { windows[(time - Self.start) / (100 * Self.millisecond), default: 0] += 2 }
        #expect(windows.values.allSatisfy { $0 <= 502 }, "\(windows.values.max() ?? 0) echoes in 100 ms")
    }

    @Test func aLaneThatFellBehindCatchesUpAtMostTenMilliseconds() {
        // One address a millisecond; the sweeper then stalls for a second.
        var schedule = PoolSchedule(
            pools: [Self.pool("198.18.0.0/18", refresh: 16)], attempts: 1, maxEchoesPerSecond: 1_000_000, now: Self.start)
        let interval = schedule.lanes[0].interval
        #expect(interval == 16 * Self.second / 16382)
        _ = schedule.takeDue(now: Self.start, limit: .max)
        let late = schedule.takeDue(now: Self.start + Self.second, limit: .max)
        #expect(late.count <= Int(PoolSchedule.maxLag / interval) + 1)
        #expect(late.count >= 9)
        // After the catch-up, the pace is the regular one again.
        let next = schedule.takeDue(now: Self.start + Self.second + interval, limit: .max)
        #expect(next.count == 1)
    }

    @Test func aLimitLeavesTheRestDue() {
        var schedule = PoolSchedule(
            pools: [Self.pool("198.51.100.0/24", refresh: 1), Self.pool("2001:db8:100::/120", refresh: 1)],
            attempts: 1, maxEchoesPerSecond: 100_000, now: Self.start)
        let first = schedule.takeDue(now: Self.start, limit: 1)
        #expect(first.count == 1)
        let rest = schedule.takeDue(now: Self.start, limit: 10)
        #expect(rest.count == 1)
        #expect(Set((first + rest).map(\.lane)) == [0, 1])
        #expect(schedule.takeDue(now: Self.start, limit: 0).isEmpty)
    }

    @Test func aReloadKeepsTheProgressOfPoolsThatSweepTheSameAddresses() {
        let kept = Self.pool("198.51.100.0/24", refresh: 10)
        let removed = Self.pool("2001:db8:100::/120", refresh: 10)
        var schedule = PoolSchedule(pools: [kept, removed], attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        _ = Self.run(&schedule, from: Self.start, to: Self.start + Self.second)
        let cursor = schedule.lanes[0].cursor
        #expect(cursor == 26)  // one every 10/254 s: t = 0, 39.4 ms, ... up to 984 ms
        let added = Self.pool("2001:db8:200::-2001:db8:200::f", refresh: 5)
        var refreshed = kept
        refreshed.refreshSeconds = 20
        let reloaded = PoolSchedule(
            pools: [added, refreshed], attempts: 2, maxEchoesPerSecond: 5000, now: Self.start + Self.second,
            previous: schedule)
        #expect(reloaded.lanes.map(\.pool.description) == [added.description, kept.description])
        #expect(reloaded.lanes[0].cursor == 0)
        #expect(reloaded.lanes[0].nextDue == Self.start + Self.second)
        #expect(reloaded.lanes[1].cursor == cursor)
        #expect(reloaded.lanes[1].interval == 20 * Self.second / 254)
        #expect(reloaded.lanes[1].nextDue <= Self.start + Self.second + reloaded.lanes[1].interval)
    }

    @Test func noPoolsNothingDue() {
        var schedule = PoolSchedule(pools: [], attempts: 2, maxEchoesPerSecond: 5000, now: Self.start)
        #expect(schedule.nextDue == nil)
        #expect(schedule.takeDue(now: Self.start + Self.second, limit: 100).isEmpty)
        #expect(schedule.echoesPerSecond == 0)
    }
}
