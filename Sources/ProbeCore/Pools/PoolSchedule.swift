package import ProbeConfig
package import ProbeProtocol

/// When each address of each warm pool is probed next (docs/pools.md): pure pacing arithmetic, with
/// time passed in, so that it is tested with plain numbers.
///
/// Every pool has a lane with a cursor. A pool of `N` addresses takes one address every `P / N`, in
/// ascending order, so its echoes are spread evenly over the period `P` and never sent in a burst.
/// `P` is `refresh_s` less a lead (the probe deadline and some slack, at most half of `refresh_s`):
/// a verdict is recorded when its probe ends, so probes that start every `P` keep every verdict
/// younger than `refresh_s`, and a client asking with `max_age_ms` ≥ `refresh_s` is always
/// answered from the cache. When the pools together would send more echo requests per second
/// than `pools_max_pps` allows (a probe sends up to `attempts` of them), every lane's interval is
/// stretched by the same factor: the cap wins and the periods grow.
///
/// A lane that falls behind (the sweeper was held up, or had no room for more probes) catches up
/// at most ``maxLag`` worth of addresses at once; beyond that the backlog is dropped and the period
/// stretches instead of bursting.
package struct PoolSchedule: Sendable {
    /// One pool's pacing and progress.
    package struct Lane: Sendable {
        /// The pool.
        package let pool: Configuration.Pool
        /// Nanoseconds between two probes of this pool at full pace (after any stretching by the cap).
        package let plannedInterval: UInt64
        /// Nanoseconds between two probes of this pool now: ``plannedInterval`` at the schedule's pace.
        package fileprivate(set) var interval: UInt64
        /// The position of the next address to probe, `0..<pool.count`.
        package fileprivate(set) var cursor = 0
        /// When the next probe is due (``MonotonicTime``).
        package fileprivate(set) var nextDue: UInt64
        /// Passes over the whole pool finished (the cursor wrapped).
        package fileprivate(set) var sweepsCompleted = 0

        /// The time one pass over the pool takes at this lane's pace, in nanoseconds.
        package var period: UInt64 {
            let (product, overflow) = interval.multipliedReportingOverflow(by: UInt64(pool.count))
            return overflow ? .max : product
        }
    }

    /// One address whose probe is due.
    package struct Slot: Sendable, Hashable {
        /// The lane (pool) it belongs to, an index into ``lanes``.
        package var lane: Int
        /// Its position in the pool.
        package var index: Int
        /// The address.
        package var address: IPAddress
    }

    /// The most backlog a lane makes up at once, in nanoseconds (100 ms: four of the sweeper's
    /// 25 ms ticks, so that a tick that comes a little late loses nothing).
    package static let maxLag: UInt64 = 100_000_000

    /// The lanes, one per pool, in configuration order.
    package private(set) var lanes: [Lane]
    /// `pools_max_pps`: echo requests per second for all pools together.
    package let maxEchoesPerSecond: Int
    /// `probe.attempts`: echo requests per probe, at most.
    package let attempts: Int
    /// The factor (at most 1) by which the configured rates were scaled to stay within
    /// ``maxEchoesPerSecond``; 1 when the pools fit.
    package let scale: Double

    /// A schedule for `pools`, keeping the progress of `previous` for every pool that sweeps the
    /// same addresses as one of its own (a reload): its cursor, its completed passes and, unless the
    /// new pace is quicker, its next due time. New pools start at `now`.
    ///
    /// - Parameters:
    ///   - pools: the pools (`pools`), each with its `refresh_s`.
    ///   - attempts: `probe.attempts`, the echo requests a probe sends at most.
    ///   - maxEchoesPerSecond: `pools_max_pps`.
    ///   - lead: how much sooner than `refresh_s` a pass should end, in nanoseconds (the sweeper
    ///     gives the probe deadline plus slack); at most half of `refresh_s` is taken.
    ///   - now: the current ``MonotonicTime``.
    ///   - previous: the schedule in force before a reload.
    package init(
        pools: [Configuration.Pool],
        attempts: Int,
        maxEchoesPerSecond: Int,
        lead: UInt64 = 0,
        now: UInt64,
        previous: PoolSchedule? = nil
    ) {
        self.attempts = max(1, attempts)
        self.maxEchoesPerSecond = max(1, maxEchoesPerSecond)
        let (intervals, scale) = Self.intervals(
            pools: pools,
            attempts: self.attempts,
            maxEchoesPerSecond: self.maxEchoesPerSecond,
            lead: lead
        )
        self.scale = scale
        var kept: [IPRange: Lane] = [:]
        for lane in previous?.lanes ?? [] { kept[lane.pool.addresses] = lane }
        lanes = zip(pools, intervals).map { pool, interval in
            var lane = Lane(pool: pool, plannedInterval: interval, interval: interval, nextDue: now)
            if let old = kept[pool.addresses] {
                lane.cursor = old.cursor
                lane.sweepsCompleted = old.sweepsCompleted
                lane.nextDue = min(old.nextDue, now &+ interval)
            }
            return lane
        }
    }

    /// Each pool's interval between two probes, in nanoseconds, and the factor the rates were
    /// scaled by to stay within `maxEchoesPerSecond`.
    ///
    /// A pool of `N` addresses and period `P` (``period(refreshSeconds:lead:)``) wants `N / P`
    /// probes, so `attempts × N / P` echo requests, per second. When the sum exceeds the cap, every
    /// rate is multiplied by `cap / sum`.
    package static func intervals(
        pools: [Configuration.Pool],
        attempts: Int,
        maxEchoesPerSecond: Int,
        lead: UInt64 = 0
    ) -> (intervals: [UInt64], scale: Double) {
        let periods = pools.map { period(refreshSeconds: $0.refreshSeconds, lead: lead) }
        let demand = zip(pools, periods).reduce(0.0) { sum, pair in
            sum + Double(max(1, attempts)) * Double(pair.0.count) * 1e9 / Double(pair.1)
        }
        let scale = demand > Double(maxEchoesPerSecond) ? Double(maxEchoesPerSecond) / demand : 1
        let intervals = zip(pools, periods).map { pool, period -> UInt64 in
            // Within the cap, rounded down: every address at least every `refresh_s`. Stretched,
            // rounded up: never above the cap.
            guard scale < 1 else { return max(1, period / UInt64(pool.count)) }
            return UInt64(max(1, (Double(period) / Double(pool.count) / scale).rounded(.up)))
        }
        return (intervals, scale)
    }

    /// The period a pool with `refreshSeconds` aims at, in nanoseconds: `refresh_s` less `lead`,
    /// but at least half of `refresh_s`.
    package static func period(refreshSeconds: Int, lead: UInt64) -> UInt64 {
        let refresh = UInt64(max(1, refreshSeconds)) * 1_000_000_000
        return max(refresh / 2, refresh > lead ? refresh - lead : 0)
    }

    /// The echo requests per second that the schedule sends at most now (every probe sending all
    /// its attempts).
    package var echoesPerSecond: Double {
        lanes.reduce(0) { $0 + Double(attempts) * 1e9 / Double($1.interval) }
    }

    /// The probes per second the schedule starts at full pace.
    package var plannedProbesPerSecond: Double {
        lanes.reduce(0) { $0 + 1e9 / Double($1.plannedInterval) }
    }

    /// The fraction of the planned rate the lanes run at, ``minimumPace`` to 1.
    package private(set) var pace = 1.0
    /// The slowest pace: a twentieth of the planned rate.
    package static let minimumPace = 0.05

    /// Runs every lane at `pace` (clamped to ``minimumPace``...1) of its planned rate: the
    /// sweeper slows down while the engine falls behind, and speeds up again. Due times already set
    /// stay as they are.
    package mutating func setPace(_ pace: Double) {
        self.pace = min(1, max(Self.minimumPace, pace))
        for position in lanes.indices {
            let interval = (Double(lanes[position].plannedInterval) / self.pace).rounded(.up)
            lanes[position].interval = UInt64(max(1, min(interval, 1e18)))
        }
    }

    /// The earliest due time of any lane; `nil` without pools.
    package var nextDue: UInt64? {
        lanes.map(\.nextDue).min()
    }

    /// Takes the probes due at `now`, earliest first, at most `limit` of them, and advances their
    /// lanes (a lane whose cursor wraps has completed a sweep).
    package mutating func takeDue(now: UInt64, limit: Int) -> [Slot] {
        guard limit > 0, !lanes.isEmpty else { return [] }
        let floor = now > Self.maxLag ? now - Self.maxLag : 0
        for position in lanes.indices where lanes[position].nextDue < floor {
            lanes[position].nextDue = floor
        }
        var slots: [Slot] = []
        while slots.count < limit {
            var earliest = -1
            for position in lanes.indices where lanes[position].nextDue <= now {
                if earliest < 0 || lanes[position].nextDue < lanes[earliest].nextDue { earliest = position }
            }
            guard earliest >= 0 else { break }
            slots.append(advance(earliest))
        }
        return slots
    }

    /// The slot at `lane`'s cursor; moves the cursor and the due time on.
    private mutating func advance(_ position: Int) -> Slot {
        let index = lanes[position].cursor
        let slot = Slot(lane: position, index: index, address: lanes[position].pool.address(at: index))
        lanes[position].cursor += 1
        if lanes[position].cursor == lanes[position].pool.count {
            lanes[position].cursor = 0
            lanes[position].sweepsCompleted += 1
        }
        lanes[position].nextDue &+= lanes[position].interval
        return slot
    }
}
