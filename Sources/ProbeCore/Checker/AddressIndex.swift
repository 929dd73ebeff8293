/// An open-addressing index from addresses to the slots of a table its owner keeps (the verdict
/// cache's entries, the checker's probes in flight): slot numbers in a power-of-two array of
/// buckets, linear probing, at most three quarters full. Deletion shifts the rest of a run back, so
/// there are no tombstones and a lookup stops at the first empty bucket.
///
/// The owner hashes and compares: every call takes the slot's hash, and `hashOf` for the other
/// slots the index may have to move.
struct AddressIndex {
    static let empty: Int32 = -1

    private var buckets: [Int32] = []
    /// Slots indexed.
    private(set) var count = 0

    init() {}

    /// The slot hashed to `hash` that `matches`.
    @inline(__always)
    func find(hash: UInt64, where matches: (Int32) -> Bool) -> Int32? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = buckets[position]
            if slot == Self.empty { return nil }
            if matches(slot) { return slot }
            position = (position + 1) & mask
        }
    }

    /// Indexes `slot`, growing the buckets first when they would be more than three quarters full.
    mutating func insert(_ slot: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        if (count + 1) * 4 > buckets.count * 3 { resize(to: max(16, buckets.count * 2), hashOf: hashOf) }
        place(slot, hash: hash)
        count += 1
    }

    /// Takes `slot` (indexed, with `hash`) out, shifting later entries of its run back.
    mutating func remove(_ slot: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        let mask = buckets.count - 1
        var hole = Int(truncatingIfNeeded: hash) & mask
        while buckets[hole] != slot { hole = (hole + 1) & mask }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = buckets[next]
            if moving == Self.empty { break }
            let home = Int(truncatingIfNeeded: hashOf(moving)) & mask
            // Move it into the hole unless its home lies cyclically in (hole, next].
            let homeAfterHole = (home - hole) & mask
            let nextAfterHole = (next - hole) & mask
            if homeAfterHole == 0 || homeAfterHole > nextAfterHole {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = Self.empty
        count -= 1
    }

    /// Sizes the buckets for `capacity` slots now, so that filling up to it never rebuilds.
    mutating func reserve(_ capacity: Int, hashOf: (Int32) -> UInt64) {
        var size = 16
        while capacity * 4 > size * 3 { size *= 2 }
        if size > buckets.count { resize(to: size, hashOf: hashOf) }
    }

    mutating func removeAll() {
        buckets = []
        count = 0
    }

    private mutating func resize(to capacity: Int, hashOf: (Int32) -> UInt64) {
        let old = buckets
        buckets = [Int32](repeating: Self.empty, count: capacity)
        for slot in old where slot != Self.empty { place(slot, hash: hashOf(slot)) }
    }

    private mutating func place(_ slot: Int32, hash: UInt64) {
        let mask = buckets.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while buckets[position] != Self.empty { position = (position + 1) & mask }
        buckets[position] = slot
    }
}
