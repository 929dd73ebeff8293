package import ProbeProtocol

/// The verdicts probed remembers, keyed by address (an IPv6 zone is part of the key), bounded in
/// number with least-recently-used eviction.
///
/// A probe verdict lives for its state's TTL (`cache.in_use_ttl_s`, `cache.free_ttl_s`); an
/// `unknown` verdict is never stored. A mark lives for the TTL its client gave and beats any
/// `max_age_ms`. Expired entries are dropped when a lookup meets them and by a small sweep that
/// every insertion makes over a few slots, so memory held by dead entries is reclaimed without a
/// timer.
///
/// Every operation on one address is O(1): an open-addressing table of slot numbers (4 bytes a
/// bucket, linear probing, seeded hash) finds the address's slot in an array that holds the
/// entries, 56 bytes each, in an intrusive doubly-linked recency list, so a hit moves its entry to
/// the front without allocating. About 64 bytes an entry in all (200,000 entries: 13 MiB). Times are ``MonotonicTime`` readings in nanoseconds, passed in
/// by the caller (tests inject their own clock). Not thread-safe: the ``Checker`` keeps it inside
/// its lock.
package struct VerdictCache: Sendable {
    /// How long an `in_use` probe verdict is served, in nanoseconds.
    package private(set) var inUseTTL: UInt64
    /// How long a `free` probe verdict is served, in nanoseconds.
    package private(set) var freeTTL: UInt64
    /// The most entries held; inserting one more evicts the least recently used.
    package private(set) var maxEntries: Int
    /// Entries evicted to stay within ``maxEntries``.
    package private(set) var evictions: UInt64 = 0
    /// Entries dropped because they had expired.
    package private(set) var expirations: UInt64 = 0

    var slots: [Slot] = []
    /// Zones, reasons and unusual MACs, by slot (rare).
    var extras: [Int32: Extras] = [:]
    /// Finds the slot of an address; it indexes every entry, so its count is the cache's.
    var index = AddressIndex()
    let seed = UInt64.random(in: 0...UInt64.max)
    /// The first free slot, chained through ``Slot/next``.
    private var freeHead: Int32 = Self.none
    /// The most recently used entry.
    private var head: Int32 = Self.none
    /// The least recently used entry: the next to be evicted.
    private var tail: Int32 = Self.none
    private var sweepCursor = 0

    static let none: Int32 = -1
    /// Slots the sweep looks at on each insertion of a new address.
    private static let sweepStep = 4

    /// An empty cache.
    ///
    /// - Parameters:
    ///   - inUseTTL: how long an `in_use` probe verdict is served, in nanoseconds.
    ///   - freeTTL: how long a `free` probe verdict is served, in nanoseconds.
    ///   - maxEntries: the most entries held (at least 1).
    package init(inUseTTL: UInt64, freeTTL: UInt64, maxEntries: Int) {
        self.inUseTTL = inUseTTL
        self.freeTTL = freeTTL
        self.maxEntries = Self.clampedLimit(maxEntries)
    }

    /// Entries held, including expired ones that no lookup or sweep has met yet.
    package var count: Int { index.count }

    /// The TTL of a probe verdict of `state`, in nanoseconds; `nil` for `unknown`, which is never cached.
    package func ttl(for state: VerdictState) -> UInt64? {
        switch state {
        case .inUse: inUseTTL
        case .free: freeTTL
        case .unknown: nil
        }
    }

    /// The entry to answer a request about `address` with, if any; a hit becomes the most recently used.
    ///
    /// - Parameters:
    ///   - maxAge: the request's `max_age_ms` in nanoseconds. A live mark is returned whatever it says;
    ///     a probe verdict only when it is no older than this. `0` never uses a probe verdict; `nil`
    ///     accepts any probe verdict still within its TTL.
    ///   - now: the current ``MonotonicTime``.
    /// - Returns: the entry, or `nil` when there is none, it has expired (it is then dropped), or it is
    ///   a probe verdict older than `maxAge`.
    @inline(__always)
    package mutating func lookup(_ address: IPAddress, maxAge: UInt64?, now: UInt64) -> Entry? {
        guard let slot = find(Key(address)) else { return nil }
        let position = Int(slot)
        if now >= slots[position].expiresAt {
            expirations += 1
            remove(slot: slot)
            return nil
        }
        if !slots[position].isMark, let maxAge {
            let recordedAt = slots[position].recordedAt
            if maxAge == 0 || (now > recordedAt ? now - recordedAt : 0) > maxAge { return nil }
        }
        moveToFront(slot)
        return entry(at: slot)
    }

    /// The entry of `address` as stored, expired or not, without touching its recency (for tests and stats).
    package func peek(_ address: IPAddress) -> Entry? {
        guard let slot = find(Key(address)) else { return nil }
        return entry(at: slot)
    }

    /// Whether `address` holds a mark that has not expired at `now` (no entry is built).
    package func hasLiveMark(_ address: IPAddress, now: UInt64) -> Bool {
        guard let slot = find(Key(address)) else { return false }
        return slots[Int(slot)].isMark && now < slots[Int(slot)].expiresAt
    }

    /// Records a probe verdict, which then lives for its state's TTL.
    ///
    /// An `unknown` verdict is not stored (and leaves any older entry as it is); nor does a verdict
    /// replace a mark that has not expired.
    ///
    /// - Returns: whether the verdict was stored.
    @discardableResult
    package mutating func record(
        _ address: IPAddress,
        state: VerdictState,
        evidence: Evidence,
        rttMicroseconds: Int? = nil,
        mac: String? = nil,
        reason: String? = nil,
        now: UInt64
    ) -> Bool {
        guard let ttl = ttl(for: state) else { return false }
        let entry = Entry(
            state: state,
            evidence: evidence,
            rttMicroseconds: rttMicroseconds,
            mac: mac,
            reason: reason,
            recordedAt: now,
            expiresAt: now.addingSaturating(ttl),
            isMark: false
        )
        return insert(entry, for: address, now: now)
    }

    /// Records a client's mark of `address` as `state` (`in_use` or `free`; `unknown` is not stored),
    /// replacing whatever the cache held for it.
    ///
    /// - Parameter ttl: how long the mark holds, in nanoseconds; `nil`: that state's TTL.
    /// - Returns: whether the mark was stored.
    @discardableResult
    package mutating func mark(_ address: IPAddress, state: VerdictState, ttl: UInt64? = nil, now: UInt64) -> Bool {
        guard let stateTTL = self.ttl(for: state) else { return false }
        let entry = Entry(
            state: state,
            evidence: .marked,
            recordedAt: now,
            expiresAt: now.addingSaturating(ttl ?? stateTTL),
            isMark: true
        )
        return insert(entry, for: address, now: now)
    }

    /// Stores `entry` for `address` as the most recently used, evicting the least recently used
    /// entry when the cache is full. Use it for entries whose expiry is not a state's TTL (a pool
    /// sweep's verdict lives until the next sweep).
    ///
    /// A probe verdict (`isMark == false`) does not replace a mark that has not expired at `now`.
    ///
    /// - Returns: whether the entry was stored.
    @discardableResult
    package mutating func insert(_ entry: Entry, for address: IPAddress, now: UInt64) -> Bool {
        let key = Key(address)
        if let slot = find(key) {
            let existing = slots[Int(slot)]
            if existing.isMark, !entry.isMark, now < existing.expiresAt { return false }
            store(entry, in: slot, zone: key.zone)
            moveToFront(slot)
            return true
        }
        sweep(now: now, limit: Self.sweepStep)
        while index.count >= maxEntries, tail != Self.none {
            evictions += 1
            remove(slot: tail)
        }
        let slot = allocate(key)
        store(entry, in: slot, zone: key.zone)
        addToIndex(slot)
        linkAtFront(slot)
        return true
    }

    /// Drops the entry of `address` (the zone must match too).
    ///
    /// - Returns: whether there was one.
    @discardableResult
    package mutating func remove(_ address: IPAddress) -> Bool {
        guard let slot = find(Key(address)) else { return false }
        remove(slot: slot)
        return true
    }

    /// Drops the entries of every address inside `prefix` (zones ignored).
    ///
    /// - Returns: how many were dropped.
    @discardableResult
    package mutating func remove(prefix: IPPrefix) -> Int {
        var doomed: [Int32] = []
        for position in slots.indices where slots[position].isOccupied && prefix.contains(slots[position].address(zone: nil)) {
            doomed.append(Int32(position))
        }
        for slot in doomed { remove(slot: slot) }
        return doomed.count
    }

    /// Drops every entry.
    ///
    /// - Returns: how many were dropped.
    @discardableResult
    package mutating func removeAll() -> Int {
        let removed = index.count
        slots = []
        extras = [:]
        index.removeAll()
        freeHead = Self.none
        head = Self.none
        tail = Self.none
        sweepCursor = 0
        return removed
    }

    /// Applies new TTLs and a new bound (a configuration reload). Entries keep the expiry they were
    /// given; shrinking the bound evicts the least recently used entries at once.
    package mutating func update(inUseTTL: UInt64, freeTTL: UInt64, maxEntries: Int) {
        self.inUseTTL = inUseTTL
        self.freeTTL = freeTTL
        self.maxEntries = Self.clampedLimit(maxEntries)
        while index.count > self.maxEntries, tail != Self.none {
            evictions += 1
            remove(slot: tail)
        }
    }

    /// Drops expired entries among the next `limit` slots of the sweep's round over the storage.
    ///
    /// Insertions call it with a small limit; a caller may also call it from a timer.
    ///
    /// - Returns: how many entries were dropped.
    @discardableResult
    package mutating func sweep(now: UInt64, limit: Int) -> Int {
        guard !slots.isEmpty else { return 0 }
        var removed = 0
        for _ in 0..<min(limit, slots.count) {
            if sweepCursor >= slots.count { sweepCursor = 0 }
            let position = sweepCursor
            sweepCursor += 1
            if slots[position].isOccupied, now >= slots[position].expiresAt {
                remove(slot: Int32(position))
                expirations += 1
                removed += 1
            }
        }
        return removed
    }

    /// The addresses held, most recently used first (for tests and diagnostics; O(n)).
    package var addressesByRecency: [IPAddress] {
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(index.count)
        var slot = head
        while slot != Self.none {
            addresses.append(address(at: slot))
            slot = slots[Int(slot)].next
        }
        return addresses
    }

    // MARK: - Slots

    private static func clampedLimit(_ maxEntries: Int) -> Int {
        min(max(1, maxEntries), Int(Int32.max) - 1)
    }

    /// The entry in `slot`.
    private func entry(at slot: Int32) -> Entry {
        let stored = slots[Int(slot)]
        return stored.entry(extras: stored.hasExtras ? extras[slot] : nil)
    }

    /// The address in `slot`, zone included.
    private func address(at slot: Int32) -> IPAddress {
        let stored = slots[Int(slot)]
        return stored.address(zone: stored.hasZone ? extras[slot]?.zone : nil)
    }

    private mutating func store(_ entry: Entry, in slot: Int32, zone: String?) {
        let (mac, reason) = slots[Int(slot)].store(entry)
        if zone != nil || mac != nil || reason != nil {
            extras[slot] = Extras(zone: zone, mac: mac, reason: reason)
            slots[Int(slot)].flags |= Slot.hasExtras
        } else if slots[Int(slot)].hasExtras {
            extras[slot] = nil
            slots[Int(slot)].flags &= ~Slot.hasExtras
        }
    }

    private mutating func allocate(_ key: Key) -> Int32 {
        var fresh = Slot()
        fresh.high = key.high
        fresh.low = key.low
        fresh.flags = Slot.occupied | (key.ipv6 ? Slot.ipv6 : 0) | (key.zone != nil ? Slot.hasZone : 0)
        if slots.capacity == 0 {
            // Room for the bound at once (pages are only touched as slots fill): no growth by
            // doubling, which would copy every slot and overshoot the bound by up to half.
            slots.reserveCapacity(min(maxEntries, 1 << 20))
        }
        if freeHead != Self.none {
            let slot = freeHead
            freeHead = slots[Int(slot)].next
            slots[Int(slot)] = fresh
            return slot
        }
        slots.append(fresh)
        return Int32(slots.count - 1)
    }

    private mutating func remove(slot: Int32) {
        unlink(slot)
        removeFromIndex(slot)
        if slots[Int(slot)].hasExtras { extras[slot] = nil }
        var vacant = Slot()
        vacant.next = freeHead
        slots[Int(slot)] = vacant
        freeHead = slot
    }

    // MARK: - The recency list

    @inline(__always)
    private mutating func moveToFront(_ slot: Int32) {
        guard head != slot else { return }
        unlink(slot)
        linkAtFront(slot)
    }

    @inline(__always)
    private mutating func linkAtFront(_ slot: Int32) {
        slots[Int(slot)].previous = Self.none
        slots[Int(slot)].next = head
        if head != Self.none { slots[Int(head)].previous = slot }
        head = slot
        if tail == Self.none { tail = slot }
    }

    @inline(__always)
    private mutating func unlink(_ slot: Int32) {
        let previous = slots[Int(slot)].previous
        let next = slots[Int(slot)].next
        if previous != Self.none { slots[Int(previous)].next = next } else { head = next }
        if next != Self.none { slots[Int(next)].previous = previous } else { tail = previous }
        slots[Int(slot)].previous = Self.none
        slots[Int(slot)].next = Self.none
    }
}

extension UInt64 {
    /// `self + other`, saturating at `UInt64.max`.
    @inline(__always)
    fileprivate func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
