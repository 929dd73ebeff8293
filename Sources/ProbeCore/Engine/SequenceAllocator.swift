/// Hands out the 16-bit ICMP sequence numbers of one socket, never two to live probes at once.
///
/// Numbers are taken round-robin from a cursor, so a number comes back into use as late as possible
/// (a late reply to its previous probe also fails the token check). When all 65,536 are live,
/// ``allocate()`` returns nil and the engine answers `overloaded` rather than wrap onto a live probe.
package struct SequenceAllocator: Sendable {
    /// One bit per sequence number; set = live.
    private var live: [UInt64]
    private var cursor: Int
    /// How many numbers are live.
    package private(set) var liveCount: Int

    /// How many sequence numbers exist.
    package static let capacity = 1 << 16

    /// - Parameter start: the first number to hand out (random in production, fixed in tests).
    package init(start: UInt16 = 0) {
        self.live = [UInt64](repeating: 0, count: Self.capacity / 64)
        self.cursor = Int(start)
        self.liveCount = 0
    }

    /// Takes the next free sequence number, or nil when every number is live.
    package mutating func allocate() -> UInt16? {
        guard liveCount < Self.capacity else { return nil }
        var index = cursor
        while true {
            let word = index >> 6
            let bits = live[word] | ((1 << UInt64(index & 63)) &- 1)  // ignore numbers before the cursor in this word
            if bits != UInt64.max {
                let bit = (~bits).trailingZeroBitCount
                let number = word << 6 | bit
                live[word] |= 1 << UInt64(bit)
                liveCount += 1
                cursor = (number + 1) & (Self.capacity - 1)
                return UInt16(number)
            }
            index = ((word + 1) << 6) & (Self.capacity - 1)
        }
    }

    /// Whether `number` belongs to a live probe.
    package func isLive(_ number: UInt16) -> Bool {
        live[Int(number) >> 6] & (1 << UInt64(number & 63)) != 0
    }

    /// Returns `number` to the pool. Releasing a number that is not live does nothing.
    package mutating func release(_ number: UInt16) {
        let word = Int(number) >> 6
        let mask: UInt64 = 1 << UInt64(number & 63)
        guard live[word] & mask != 0 else { return }
        live[word] &= ~mask
        liveCount -= 1
    }
}
