/// How fast the sweeps may go, judged by how late their probes end (docs/pools.md: on-demand checks
/// always go first).
///
/// A probe ends at its deadline at the latest when the engine keeps up. When sweep probes end
/// well past it, the engine (or the machine) is behind, and every probe it serves — on-demand ones
/// too — waits: the sweeps then slow down, multiplicatively, until probes end on time again, and
/// speed up slowly afterwards. Time is passed in, so it is tested with plain numbers.
struct PoolPace: Sendable {
    /// The fraction of the planned rate to sweep at, ``PoolSchedule/minimumPace`` to 1.
    private(set) var factor = 1.0
    /// How long one judgement looks back, in nanoseconds.
    let window: UInt64
    private var windowStart: UInt64
    private var worstOverrun: UInt64 = 0

    /// A probe ending this much past its deadline shows an engine behind (50 ms).
    static let late: UInt64 = 50_000_000
    /// Probes ending at most this much past their deadline show an engine that keeps up (10 ms).
    static let onTime: UInt64 = 10_000_000
    /// The slowdown on a late window.
    static let slowdown = 0.7
    /// The speed-up on an on-time window.
    static let speedup = 0.05

    /// - Parameters:
    ///   - window: how long one judgement looks back, in nanoseconds (the sweeper uses the probe
    ///     deadline, at least 100 ms: a slowdown shows only in probes started after it).
    ///   - now: the current ``MonotonicTime``.
    init(window: UInt64, now: UInt64) {
        self.window = max(1, window)
        self.windowStart = now
    }

    /// Notes how long after its deadline a sweep probe ended, in nanoseconds.
    mutating func note(overrun: UInt64) {
        worstOverrun = max(worstOverrun, overrun)
    }

    /// Judges the window that ended by `now`, if one did.
    ///
    /// - Returns: the new factor when it changed.
    mutating func update(now: UInt64) -> Double? {
        guard now >= windowStart &+ window else { return nil }
        let worst = worstOverrun
        windowStart = now
        worstOverrun = 0
        let previous = factor
        if worst > Self.late {
            factor = max(PoolSchedule.minimumPace, factor * Self.slowdown)
        } else if worst <= Self.onTime {
            factor = min(1, factor + Self.speedup)
        }
        return factor == previous ? nil : factor
    }
}
