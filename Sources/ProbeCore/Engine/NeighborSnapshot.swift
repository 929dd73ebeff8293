import ProbeProtocol

/// The kernel's neighbour table as the engine's loop last read it: one rtnetlink dump per
/// family, reused for ``reuse`` so that a burst of deadlines costs one dump, not one each.
///
/// `@unchecked Sendable`: only the engine's loop thread uses it, outside the state lock (a dump
/// of a thousand entries takes about a millisecond; nobody waits on the lock meanwhile).
final class NeighborSnapshot: @unchecked Sendable {
    /// How long a dump answers for: an entry confirmed in the last few milliseconds of a probe
    /// may be missed, which matters little next to a resolution that takes under a millisecond
    /// after the probe's first echo.
    static let reuse: UInt64 = 10_000_000

    private let table: NeighborTable
    private var dumps: [IPFamily: (takenAt: UInt64, entries: [NeighborEntry])] = [:]

    init(table: NeighborTable) {
        self.table = table
    }

    /// The interface prefixes, re-read at most every ``prefixRefresh`` (addresses come and go).
    func linkPrefixes(now: UInt64) -> LinkPrefixes? {
        guard now &- prefixesReadAt >= Self.prefixRefresh else { return nil }
        prefixesReadAt = now
        return try? table.linkPrefixes()
    }

    static let prefixRefresh: UInt64 = 5_000_000_000
    private var prefixesReadAt: UInt64 = MonotonicTime.now()

    /// The entry of each address that has one, from dumps at most ``reuse`` old.
    func entries(for addresses: [IPAddress], now: UInt64) throws(NetlinkError) -> [IPAddress: NeighborEntry] {
        var entries: [NeighborEntry] = []
        for family in IPFamily.allCases where addresses.contains(where: { $0.family == family }) {
            if let dump = dumps[family], now &- dump.takenAt < Self.reuse {
                entries += dump.entries
            } else {
                let fresh = try table.dump(family: family)
                dumps[family] = (now, fresh)
                entries += fresh
            }
        }
        return NeighborTable.match(addresses, in: entries, interfaceIndex: table.interfaceIndex(named:))
    }

    /// For probes at their deadline: the MAC of each whose target the table shows confirmed during
    /// the probe or within `maxAge` (``NeighborEvidence/confirms(_:probeAge:maxAge:)``).
    func evidence(for probes: [EchoEngine.ExpiringProbe], maxAge: Duration, now: UInt64) throws(NetlinkError) -> [Int32: String] {
        let entries = try entries(for: probes.map(\.address), now: now)
        guard !entries.isEmpty else { return [:] }
        var found: [Int32: String] = [:]
        for probe in probes {
            guard let entry = entries[probe.address], let mac = entry.linkLayerAddress else { continue }
            let probeAge = Duration.nanoseconds(Int64(clamping: now &- probe.startedAt))
            if NeighborEvidence.confirms(entry, probeAge: probeAge, maxAge: maxAge) { found[probe.slot] = mac }
        }
        return found
    }
}
