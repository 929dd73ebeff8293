import ProbeProtocol

extension VerdictCache {
    // The index (``AddressIndex``) over the slots: hashed from an address's halves and family
    // with the cache's seed; the zone, rare, only in the comparison.

    @inline(__always)
    static func hash(of stored: Slot, seed: UInt64) -> UInt64 {
        Key(high: stored.high, low: stored.low, ipv6: stored.flags & Slot.ipv6 != 0).hash(seed: seed)
    }

    /// Starts loading the index bucket that a lookup of `address` reads first.
    func prefetchBucket(_ address: IPAddress) {
        index.prefetch(hash: Key(address).hash(seed: seed))
    }

    /// Starts loading the entry that a lookup of `address` would compare first (its bucket should
    /// be loaded already: ``prefetchBucket(_:)``).
    func prefetchEntry(_ address: IPAddress) {
        index.prefetchFirstMatch(hash: Key(address).hash(seed: seed), in: slots)
    }

    /// The slot holding `key`, zone included.
    @inline(__always)
    func find(_ key: Key) -> Int32? {
        index.find(hash: key.hash(seed: seed)) { slot in
            let stored = slots[Int(slot)]
            return stored.holds(key) && ((stored.hasZone || key.zone != nil) ? extras[slot]?.zone == key.zone : true)
        }
    }

    mutating func addToIndex(_ slot: Int32) {
        // The closures read the slots while the index changes: through a local reference.
        let (slots, seed) = (self.slots, self.seed)
        if index.count == 0 {
            // Sized for the bound at once, as the slots are: no rebuilds on the way up.
            index.reserve(min(maxEntries, 1 << 20)) { Self.hash(of: slots[Int($0)], seed: seed) }
        }
        index.insert(slot, hash: Self.hash(of: slots[Int(slot)], seed: seed)) { Self.hash(of: slots[Int($0)], seed: seed) }
    }

    mutating func removeFromIndex(_ slot: Int32) {
        let (slots, seed) = (self.slots, self.seed)
        index.remove(slot, hash: Self.hash(of: slots[Int(slot)], seed: seed)) { Self.hash(of: slots[Int($0)], seed: seed) }
    }
}
