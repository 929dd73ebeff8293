import CProbeSys

/// An open-addressing index from addresses to the slots of a table its owner keeps (the verdict
/// cache's entries, the checker's probes in flight): slot numbers in a power-of-two array of
/// buckets, linear probing, at most three quarters full. Deletion shifts the rest of a run back, so
/// there are no tombstones and a lookup stops at the first empty bucket.
///
/// Each bucket holds the slot number (24 bits) and the top 8 bits of its hash: a lookup compares
/// a slot only when those bits match, so it reads the owner's table (random memory, a cache miss
/// each) about once for a hit and almost never for a miss.
///
/// The owner hashes and compares: every call takes the slot's hash, and `hashOf` for the other
/// slots the index may have to move.
struct AddressIndex {
    /// The largest slot number an index holds (24 bits; `cache.max_entries` is at most 10,000,000).
    static let maxSlot: Int32 = 0xFF_FFFE

    private static let emptyBucket = UInt32.max
    private static let slotBits: UInt32 = 0x00FF_FFFF

    private var buckets: [UInt32] = []
    /// Slots indexed.
    private(set) var count = 0

    init() {}

    /// The slot hashed to `hash` that `matches`.
    @inline(__always)
    func find(hash: UInt64, where matches: (Int32) -> Bool) -> Int32? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        let tag = Self.tag(hash)
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let bucket = buckets[position]
            if bucket == Self.emptyBucket { return nil }
            if bucket & ~Self.slotBits == tag {
                let slot = Int32(bitPattern: bucket & Self.slotBits)
                if matches(slot) { return slot }
            }
            position = (position + 1) & mask
        }
    }

    /// Starts loading the bucket where a lookup of `hash` begins (then ``prefetchFirstMatch(hash:in:)``).
    @inline(__always)
    func prefetch(hash: UInt64) {
        guard !buckets.isEmpty else { return }
        let position = Int(truncatingIfNeeded: hash) & (buckets.count - 1)
        buckets.withUnsafeBufferPointer { cprobe_prefetch($0.baseAddress! + position) }
    }

    /// Starts loading the entry of `table` (the owner's slots) that a lookup of `hash` would
    /// compare first: the first in its run whose stored hash bits match. A lookup then finds
    /// bucket and entry already in the cache. Reads the buckets (cheap once ``prefetch(hash:)``
    /// has brought them in).
    @inline(__always)
    func prefetchFirstMatch<Entry>(hash: UInt64, in table: [Entry]) {
        guard let slot = find(hash: hash, where: { _ in true }) else { return }
        table.withUnsafeBufferPointer { cprobe_prefetch_bytes($0.baseAddress! + Int(slot), MemoryLayout<Entry>.size) }
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
        let bucket = Self.bucket(slot, hash: hash)
        var hole = Int(truncatingIfNeeded: hash) & mask
        while buckets[hole] != bucket { hole = (hole + 1) & mask }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = buckets[next]
            if moving == Self.emptyBucket { break }
            let home = Int(truncatingIfNeeded: hashOf(Int32(bitPattern: moving & Self.slotBits))) & mask
            // Move it into the hole unless its home lies cyclically in (hole, next].
            let homeAfterHole = (home - hole) & mask
            let nextAfterHole = (next - hole) & mask
            if homeAfterHole == 0 || homeAfterHole > nextAfterHole {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = Self.emptyBucket
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
        buckets = [UInt32](repeating: Self.emptyBucket, count: capacity)
        for bucket in old where bucket != Self.emptyBucket {
            let slot = Int32(bitPattern: bucket & Self.slotBits)
            place(slot, hash: hashOf(slot))
        }
    }

    private mutating func place(_ slot: Int32, hash: UInt64) {
        precondition(slot >= 0 && slot <= Self.maxSlot, "slot \(slot) does not fit an address index")
        let mask = buckets.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while buckets[position] != Self.emptyBucket { position = (position + 1) & mask }
        buckets[position] = Self.bucket(slot, hash: hash)
    }

    /// The top 8 bits of `hash`, where a bucket keeps them.
    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: hash >> 56) << 24
    }

    @inline(__always)
    private static func bucket(_ slot: Int32, hash: UInt64) -> UInt32 {
        tag(hash) | UInt32(bitPattern: slot)
    }
}
