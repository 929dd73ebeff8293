import CProbeSys
import Glibc
package import ProbeProtocol

/// The kernel's neighbour table (ARP and NDP caches) of one network namespace, read through
/// rtnetlink (`RTM_GETNEIGH` dumps): no privilege needed.
///
/// It reads the namespace of the thread that creates it, for its whole life.
///
/// Not `Sendable`, on purpose: it owns one ``NetlinkSocket`` whose request and answer share a
/// receive buffer and a sequence counter, and it is meant for one owner, the engine's loop thread,
/// which asks at most once per tick. A lock would only hide a second user that should have its own
/// table (a socket is cheap).
package final class NeighborTable {
    /// Counters since the table was opened.
    package struct Statistics: Sendable, Hashable {
        /// Dumps completed.
        package var dumps = 0
        /// Dumps repeated because the answer was interrupted by a change (`NLM_F_DUMP_INTR`), cut
        /// or malformed.
        package var retries = 0
        /// Entries read.
        package var entries = 0
        /// Neighbour messages skipped as malformed.
        package var malformed = 0
        /// Messages skipped as of another family or type.
        package var ignored = 0

        package init() {}
    }

    /// How often a dump is tried before its error is thrown (or an interrupted one is accepted).
    package static let maximumAttempts = 3

    let socket: NetlinkSocket
    package private(set) var statistics = Statistics()

    /// Opens a netlink socket in the calling thread's network namespace.
    ///
    /// - Throws: ``NetlinkError`` `.socket`.
    package convenience init() throws(NetlinkError) {
        self.init(socket: try NetlinkSocket())
    }

    /// Reads through `socket` (a request socket, not a monitor).
    package init(socket: NetlinkSocket) {
        self.socket = socket
    }

    /// Every entry of the table for `family`, in the kernel's order, whatever its state (also
    /// INCOMPLETE, FAILED, NOARP and PERMANENT entries).
    ///
    /// A dump that a change interrupted (`NLM_F_DUMP_INTR`) is repeated, up to
    /// ``maximumAttempts``; the last one is returned even if interrupted (it may miss or repeat an
    /// entry that changed). Malformed messages are skipped and counted in ``statistics``.
    ///
    /// - Throws: ``NetlinkError`` when the request fails (or its answer stays cut or malformed).
    package func dump(family: IPFamily) throws(NetlinkError) -> [NeighborEntry] {
        let familyByte = family == .ipv4 ? Netlink.familyIPv4 : Netlink.familyIPv6
        // struct ndmsg: family, padding, ifindex 0 (all interfaces), state, flags, type.
        var request = [UInt8](repeating: 0, count: Netlink.neighborHeaderSize)
        request[0] = familyByte
        var attempt = 0
        while true {
            attempt += 1
            var entries: [NeighborEntry] = []
            var malformed = 0
            var ignored = 0
            let summary: NetlinkAnswer.Summary
            do {
                summary = try socket.request(type: Netlink.getNeighbor, flags: Netlink.dumpFlag, payload: request) {
                    header, payload in
                    switch NeighborMessage.parse(type: header.type, payload: payload) {
                    case .message(let message) where message.entry.address.family == family:
                        entries.append(message.entry)
                    case .message, .ignored: ignored += 1
                    case .malformed: malformed += 1
                    }
                }
            } catch where (error.code == .truncated || error.code == .malformed) && attempt < Self.maximumAttempts {
                statistics.malformed += malformed
                statistics.retries += 1
                continue
            }
            statistics.malformed += malformed
            statistics.ignored += ignored
            if summary.interrupted && attempt < Self.maximumAttempts {
                statistics.retries += 1
                continue
            }
            statistics.dumps += 1
            statistics.entries += entries.count
            return entries
        }
    }

    /// The neighbour entry of each of `addresses` that has one, with one dump per family involved.
    ///
    /// An address with a zone (`fe80::1%eth0`, or a numeric `%2`) matches only the entry on that
    /// interface, resolved in the table's own namespace (not the calling thread's); an address
    /// whose zone names no interface there gets no entry. An address without a zone matches the
    /// entry on any interface; where several interfaces hold one, the one that best shows a host
    /// is kept (see ``isPreferred(_:over:)``).
    ///
    /// - Returns: entries keyed by the addresses as given (zone included).
    /// - Throws: ``NetlinkError`` from ``dump(family:)``.
    package func entries(for addresses: some Collection<IPAddress>) throws(NetlinkError) -> [IPAddress: NeighborEntry] {
        var families: [IPFamily] = []
        for address in addresses where !families.contains(address.family) { families.append(address.family) }
        var entries: [NeighborEntry] = []
        for family in families { entries += try dump(family: family) }
        return Self.match(addresses, in: entries, interfaceIndex: interfaceIndex(named:))
    }

    /// The index of the interface named `name` in the table's namespace (`SIOCGIFINDEX` on the
    /// netlink socket, which the kernel answers from the socket's namespace), or `nil`.
    package func interfaceIndex(named name: String) -> Int32? {
        var request = ifreq()
        let bytes = Array(name.utf8)
        let capacity = MemoryLayout.size(ofValue: request.ifr_ifrn.ifrn_name)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { $0.copyBytes(from: bytes) }
        guard ioctl(socket.descriptor, UInt(SIOCGIFINDEX), &request) == 0 else { return nil }
        return request.ifr_ifru.ifru_ivalue
    }

    /// Picks the entry of each address among `entries` (see ``entries(for:)``).
    ///
    /// - Parameter interfaceIndex: resolves a zone's interface name; a numeric zone is taken as an
    ///   index directly.
    package static func match(
        _ addresses: some Collection<IPAddress>,
        in entries: [NeighborEntry],
        interfaceIndex: (String) -> Int32?
    ) -> [IPAddress: NeighborEntry] {
        // The wanted addresses without zones, and the interface each zone names (-1: none).
        var wanted = Set<IPAddress>(minimumCapacity: addresses.count)
        var zones: [String: Int32] = [:]
        for address in addresses {
            wanted.insert(address.withoutZone)
            if let zone = address.zone, zones[zone] == nil { zones[zone] = Int32(zone) ?? interfaceIndex(zone) ?? -1 }
        }
        // The preferred entry of each wanted address over all interfaces, and, for zones, per interface.
        var best: [IPAddress: NeighborEntry] = [:]
        var onInterface: [InterfaceKey: NeighborEntry] = [:]
        for entry in entries where wanted.contains(entry.address) {
            if let current = best[entry.address] {
                if isPreferred(entry, over: current) { best[entry.address] = entry }
            } else {
                best[entry.address] = entry
            }
            if !zones.isEmpty {
                let key = InterfaceKey(address: entry.address, interfaceIndex: entry.interfaceIndex)
                if let current = onInterface[key], !isPreferred(entry, over: current) { continue }
                onInterface[key] = entry
            }
        }
        var result: [IPAddress: NeighborEntry] = [:]
        result.reserveCapacity(best.count)
        for address in addresses {
            if let zone = address.zone {
                guard let index = zones[zone], index >= 0 else { continue }
                result[address] = onInterface[InterfaceKey(address: address.withoutZone, interfaceIndex: index)]
            } else {
                result[address] = best[address]
            }
        }
        return result
    }

    private struct InterfaceKey: Hashable {
        var address: IPAddress
        var interfaceIndex: Int32
    }

    /// Of two entries of one address (on different interfaces), whether `candidate` shows a host
    /// better than `current`: an entry with a link-layer address outside the excluded states
    /// first, then a REACHABLE one, then the most recently confirmed.
    package static func isPreferred(_ candidate: NeighborEntry, over current: NeighborEntry) -> Bool {
        func usable(_ entry: NeighborEntry) -> Bool {
            entry.linkLayerAddress != nil && entry.state.isDisjoint(with: NeighborEvidence.excludedStates)
        }
        if usable(candidate) != usable(current) { return usable(candidate) }
        let candidateReachable = candidate.state.contains(.reachable)
        if candidateReachable != current.state.contains(.reachable) { return candidateReachable }
        return (candidate.confirmedAgo ?? .seconds(Int64.max)) < (current.confirmedAgo ?? .seconds(Int64.max))
    }
}

@available(*, unavailable)
extension NeighborTable: Sendable {}
