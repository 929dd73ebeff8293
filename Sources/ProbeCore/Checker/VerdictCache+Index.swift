extension VerdictCache {
    // The index: an open-addressing table of slot numbers with linear probing. Deletion shifts
    // the rest of a run back, so there are no tombstones and a lookup stops at the first empty
    // bucket.

    @inline(__always)
    func bucket(ofHigh high: UInt64, low: UInt64, ipv6: Bool) -> Int {
        Int(truncatingIfNeeded: Key(high: high, low: low, ipv6: ipv6).hash(seed: seed)) & (buckets.count - 1)
    }

    /// The slot holding `key`, zone included.
    @inline(__always)
    func find(_ key: Key) -> Int32? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var position = Int(truncatingIfNeeded: key.hash(seed: seed)) & mask
        while true {
            let slot = buckets[position]
            if slot == Self.none { return nil }
            let stored = slots[Int(slot)]
            if stored.holds(key), (stored.hasZone || key.zone != nil) ? extras[slot]?.zone == key.zone : true {
                return slot
            }
            position = (position + 1) & mask
        }
    }

    mutating func addToIndex(_ slot: Int32) {
        // At most three quarters full.
        if (entryCount + 1) * 4 > buckets.count * 3 { rebuildIndex(capacity: max(16, buckets.count * 2)) }
        let stored = slots[Int(slot)]
        let mask = buckets.count - 1
        var position = bucket(ofHigh: stored.high, low: stored.low, ipv6: stored.flags & Slot.ipv6 != 0)
        while buckets[position] != Self.none { position = (position + 1) & mask }
        buckets[position] = slot
    }

    /// Takes `slot` out of the table, shifting later entries of its run back (no tombstones).
    mutating func removeFromIndex(_ slot: Int32) {
        let stored = slots[Int(slot)]
        let mask = buckets.count - 1
        var hole = bucket(ofHigh: stored.high, low: stored.low, ipv6: stored.flags & Slot.ipv6 != 0)
        while buckets[hole] != slot { hole = (hole + 1) & mask }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = buckets[next]
            if moving == Self.none { break }
            let other = slots[Int(moving)]
            let home = bucket(ofHigh: other.high, low: other.low, ipv6: other.flags & Slot.ipv6 != 0)
            // Move it into the hole unless its home lies cyclically in (hole, next].
            let homeAfterHole = (home - hole) & mask
            let nextAfterHole = (next - hole) & mask
            if homeAfterHole == 0 || homeAfterHole > nextAfterHole {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = Self.none
    }

    mutating func rebuildIndex(capacity: Int) {
        buckets = [Int32](repeating: Self.none, count: capacity)
        let mask = capacity - 1
        for position in slots.indices where slots[position].isOccupied {
            let stored = slots[position]
            var bucket = bucket(ofHigh: stored.high, low: stored.low, ipv6: stored.flags & Slot.ipv6 != 0)
            while buckets[bucket] != Self.none { bucket = (bucket + 1) & mask }
            buckets[bucket] = Int32(position)
        }
    }
}
