/// A token bucket that paces echo requests to `ratePerSecond`, allowing bursts of `burst` packets.
///
/// Time is passed in (monotonic nanoseconds), so the pacer holds no clock and is tested with plain numbers.
package struct SendPacer: Sendable {
    package private(set) var ratePerSecond: Int
    package private(set) var burst: Int
    /// Tokens, in units of 1/ratePerSecond seconds expressed as nanoseconds of credit.
    private var credit: UInt64
    private var lastRefill: UInt64

    /// - Parameters:
    ///   - ratePerSecond: sustained packets per second (at least 1).
    ///   - burst: packets that may leave back to back after a quiet period; default: 10 ms worth, at least 1.
    package init(ratePerSecond: Int, burst: Int? = nil, now: UInt64) {
        self.ratePerSecond = max(1, ratePerSecond)
        self.burst = max(1, burst ?? self.ratePerSecond / 100)
        self.lastRefill = now
        self.credit = 0
        self.credit = capacity
    }

    private var nanosecondsPerPacket: UInt64 { 1_000_000_000 / UInt64(ratePerSecond) }
    private var capacity: UInt64 { nanosecondsPerPacket * UInt64(burst) }

    private mutating func refill(now: UInt64) {
        guard now > lastRefill else { return }
        credit = min(capacity, credit &+ (now - lastRefill))
        lastRefill = now
    }

    /// Takes one token if one is available at `now`.
    package mutating func take(now: UInt64) -> Bool {
        refill(now: now)
        guard credit >= nanosecondsPerPacket else { return false }
        credit -= nanosecondsPerPacket
        return true
    }

    /// Returns a token taken for a packet that could not leave after all.
    package mutating func giveBack() {
        credit = min(capacity, credit + nanosecondsPerPacket)
    }

    /// The earliest time at which ``take(now:)`` will succeed.
    package mutating func nextAvailable(now: UInt64) -> UInt64 {
        refill(now: now)
        if credit >= nanosecondsPerPacket { return now }
        return now + (nanosecondsPerPacket - credit)
    }

    /// Changes the rate (a configuration reload); keeps the credit already earned, within the new capacity.
    package mutating func update(ratePerSecond: Int, burst: Int? = nil, now: UInt64) {
        refill(now: now)
        self.ratePerSecond = max(1, ratePerSecond)
        self.burst = max(1, burst ?? self.ratePerSecond / 100)
        credit = min(credit, capacity)
    }
}
