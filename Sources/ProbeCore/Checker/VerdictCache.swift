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
/// Every operation on one address is O(1): a dictionary maps the address to a slot of an array
/// that holds the entries in an intrusive doubly-linked recency list, so a hit moves its entry to
/// the front without allocating. Times are ``MonotonicTime`` readings in nanoseconds, passed in
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

    private var index: [IPAddress: Int32] = [:]
    private var nodes: [Node] = []
    /// The first free slot, chained through ``Node/next``.
    private var freeHead: Int32 = Self.none
    /// The most recently used entry.
    private var head: Int32 = Self.none
    /// The least recently used entry: the next to be evicted.
    private var tail: Int32 = Self.none
    private var sweepCursor = 0

    private static let none: Int32 = -1
    /// Slots the sweep looks at on each insertion of a new address.
    private static let sweepStep = 4

    private struct Node: Sendable {
        var address: IPAddress
        var entry: Entry
        var previous: Int32
        var next: Int32
        var occupied: Bool
    }

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
        guard let slot = index[address] else { return nil }
        let position = Int(slot)
        if nodes[position].entry.isExpired(at: now) {
            expirations += 1
            remove(slot: slot)
            return nil
        }
        if !nodes[position].entry.isMark, let maxAge {
            if maxAge == 0 || nodes[position].entry.age(at: now) > maxAge { return nil }
        }
        moveToFront(slot)
        return nodes[position].entry
    }

    /// The entry of `address` as stored, expired or not, without touching its recency (for tests and stats).
    package func peek(_ address: IPAddress) -> Entry? {
        guard let slot = index[address] else { return nil }
        return nodes[Int(slot)].entry
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
        if let slot = index[address] {
            let existing = nodes[Int(slot)].entry
            if existing.isMark, !entry.isMark, !existing.isExpired(at: now) { return false }
            nodes[Int(slot)].entry = entry
            moveToFront(slot)
            return true
        }
        sweep(now: now, limit: Self.sweepStep)
        while index.count >= maxEntries, tail != Self.none {
            evictions += 1
            remove(slot: tail)
        }
        let slot = allocate(address: address, entry: entry)
        index[address] = slot
        linkAtFront(slot)
        return true
    }

    /// Drops the entry of `address` (the zone must match too).
    ///
    /// - Returns: whether there was one.
    @discardableResult
    package mutating func remove(_ address: IPAddress) -> Bool {
        guard let slot = index[address] else { return false }
        remove(slot: slot)
        return true
    }

    /// Drops the entries of every address inside `prefix` (zones ignored).
    ///
    /// - Returns: how many were dropped.
    @discardableResult
    package mutating func remove(prefix: IPPrefix) -> Int {
        var slots: [Int32] = []
        for position in nodes.indices where nodes[position].occupied && prefix.contains(nodes[position].address) {
            slots.append(Int32(position))
        }
        for slot in slots { remove(slot: slot) }
        return slots.count
    }

    /// Drops every entry.
    ///
    /// - Returns: how many were dropped.
    @discardableResult
    package mutating func removeAll() -> Int {
        let removed = index.count
        index = [:]
        nodes = []
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
        guard !nodes.isEmpty else { return 0 }
        var removed = 0
        for _ in 0..<min(limit, nodes.count) {
            if sweepCursor >= nodes.count { sweepCursor = 0 }
            let position = sweepCursor
            sweepCursor += 1
            if nodes[position].occupied, nodes[position].entry.isExpired(at: now) {
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
            addresses.append(nodes[Int(slot)].address)
            slot = nodes[Int(slot)].next
        }
        return addresses
    }

    // MARK: - The recency list

    private static func clampedLimit(_ maxEntries: Int) -> Int {
        min(max(1, maxEntries), Int(Int32.max) - 1)
    }

    private mutating func allocate(address: IPAddress, entry: Entry) -> Int32 {
        let node = Node(address: address, entry: entry, previous: Self.none, next: Self.none, occupied: true)
        if freeHead != Self.none {
            let slot = freeHead
            freeHead = nodes[Int(slot)].next
            nodes[Int(slot)] = node
            return slot
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    private mutating func remove(slot: Int32) {
        let position = Int(slot)
        unlink(slot)
        index.removeValue(forKey: nodes[position].address)
        nodes[position] = Node(
            address: .v4(IPv4Address(0)),
            entry: .vacant,
            previous: Self.none,
            next: freeHead,
            occupied: false
        )
        freeHead = slot
    }

    @inline(__always)
    private mutating func moveToFront(_ slot: Int32) {
        guard head != slot else { return }
        unlink(slot)
        linkAtFront(slot)
    }

    @inline(__always)
    private mutating func linkAtFront(_ slot: Int32) {
        nodes[Int(slot)].previous = Self.none
        nodes[Int(slot)].next = head
        if head != Self.none { nodes[Int(head)].previous = slot }
        head = slot
        if tail == Self.none { tail = slot }
    }

    @inline(__always)
    private mutating func unlink(_ slot: Int32) {
        let previous = nodes[Int(slot)].previous
        let next = nodes[Int(slot)].next
        if previous != Self.none { nodes[Int(previous)].next = next } else { head = next }
        if next != Self.none { nodes[Int(next)].previous = previous } else { tail = previous }
        nodes[Int(slot)].previous = Self.none
        nodes[Int(slot)].next = Self.none
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
