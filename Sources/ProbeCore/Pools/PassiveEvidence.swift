import ProbeProtocol

/// Which neighbour events show a host on the link (docs/pools.md): ``NeighborEvidence/showsHost(_:maxAge:)``,
/// plus one case that needs the history of the entry.
///
/// When a host speaks while the kernel is still resolving its address (an INCOMPLETE entry, which
/// a sweep's probe leaves and which the kernel creates without an event) or after resolution
/// failed (FAILED), the kernel takes the host's link-layer address from its packet and at once
/// sends what it had queued: the one event it reports then shows DELAY, confirmed long ago, so the
/// rule alone misses it. So this keeps a mirror of the entries that hold a link-layer address
/// (from a dump, then from the events): an entry that gains one has just heard from the host, and
/// counts. A STALE entry that turns DELAY because a probe used it does not: its address was known.
///
/// Until the mirror is filled from a dump (``synchronize(with:)``), only the rule applies. Not
/// thread-safe: one reader of the events owns it.
struct PassiveEvidence {
    /// A neighbour entry's identity: its address on one interface.
    struct Key: Hashable {
        var address: IPAddress
        var interface: Int32
    }

    /// The entries that hold a link-layer address now.
    private(set) var resolved: Set<Key> = []
    /// Whether ``resolved`` mirrors the table (a dump was read, and no event lost since).
    private(set) var synchronized = false
    /// The most entries mirrored (the kernel holds `gc_thresh3`, 1,024 by default); past it the
    /// mirror is dropped until the next dump.
    static let capacity = 65_536

    /// Fills the mirror from a dump of the whole table (both families).
    mutating func synchronize(with entries: [NeighborEntry]) {
        resolved = Set(entries.filter(Self.isResolved).map { Key(address: $0.address, interface: $0.interfaceIndex) })
        synchronized = resolved.count < Self.capacity
    }

    /// Forgets the mirror (events were lost): only the rule applies until the next dump.
    mutating func desynchronize() {
        resolved.removeAll()
        synchronized = false
    }

    /// Whether `message` shows a host on the link, given the mirror; then updates the mirror.
    mutating func showsHost(_ message: NeighborMessage, maxAge: Duration) -> Bool {
        let entry = message.entry
        let key = Key(address: entry.address, interface: entry.interfaceIndex)
        guard message.kind == .new, Self.isResolved(entry) else {
            resolved.remove(key)
            return false
        }
        let learned = resolved.insert(key).inserted
        if resolved.count >= Self.capacity { desynchronize() }
        if NeighborEvidence.showsHost(message, maxAge: maxAge) { return true }
        return synchronized && learned && entry.state.isDisjoint(with: NeighborEvidence.excludedStates)
    }

    /// Whether an entry holds a usable link-layer address (not INCOMPLETE or FAILED).
    static func isResolved(_ entry: NeighborEntry) -> Bool {
        guard let linkLayerAddress = entry.linkLayerAddress, !linkLayerAddress.isEmpty else { return false }
        return entry.state.isDisjoint(with: [.incomplete, .failed])
    }
}
