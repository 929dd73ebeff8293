import ProbeProtocol

/// An `RTM_NEWNEIGH` or `RTM_DELNEIGH` message: a neighbour entry of a dump, or a neighbour event.
package struct NeighborMessage: Sendable, Hashable {
    /// What happened to the entry.
    package enum Kind: Sendable, Hashable {
        /// `RTM_NEWNEIGH`: the entry as it is now (in a dump, or added or changed).
        case new
        /// `RTM_DELNEIGH`: the entry was removed (garbage-collected, flushed, its link went down).
        case deleted
    }

    /// What came of parsing one message.
    package enum Parsed: Sendable, Hashable {
        /// A neighbour message of IPv4 or IPv6.
        case message(NeighborMessage)
        /// Not about an IPv4 or IPv6 neighbour (another message type, or another family such as
        /// `AF_BRIDGE`'s forwarding entries, which share the neighbour messages): to be skipped.
        case ignored(String)
        /// Broken: too short, a broken attribute list, a missing or wrongly sized attribute. To be
        /// skipped and counted.
        case malformed(String)
    }

    package var kind: Kind
    package var entry: NeighborEntry

    package init(kind: Kind, entry: NeighborEntry) {
        self.kind = kind
        self.entry = entry
    }

    /// Parses the payload of a netlink message of type `type`: a `struct ndmsg`, then attributes.
    ///
    /// Reads only inside `payload`, whatever the lengths in it claim. `NDA_DST` must be present
    /// and 4 bytes (IPv4) or 16 bytes (IPv6); `NDA_CACHEINFO`, when present, at least 16 bytes;
    /// an empty `NDA_LLADDR` counts as none. Unknown attributes are skipped.
    package static func parse(type: UInt16, payload: UnsafeRawBufferPointer) -> Parsed {
        let kind: Kind
        switch type {
        case Netlink.newNeighbor: kind = .new
        case Netlink.deleteNeighbor: kind = .deleted
        default: return .ignored("message type \(type) is not RTM_NEWNEIGH or RTM_DELNEIGH")
        }
        guard payload.count >= Netlink.neighborHeaderSize else {
            return .malformed("\(payload.count) bytes, too few for struct ndmsg (12)")
        }
        let family = payload[0]
        let addressSize: Int
        switch family {
        case Netlink.familyIPv4: addressSize = 4
        case Netlink.familyIPv6: addressSize = 16
        default: return .ignored("address family \(family) is neither AF_INET nor AF_INET6")
        }
        let interfaceIndex = payload.loadUnaligned(fromByteOffset: 4, as: Int32.self)
        let state = NeighborState(rawValue: payload.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        let flags = payload[10]

        var destination: UnsafeRawBufferPointer?
        var linkLayer: UnsafeRawBufferPointer?
        var cacheInfo: UnsafeRawBufferPointer?
        let attributes = UnsafeRawBufferPointer(rebasing: payload[min(Netlink.align(Netlink.neighborHeaderSize), payload.count)...])
        if let malformation = NetlinkParser.forEachAttribute(in: attributes, { type, value in
            switch type {
            case Netlink.neighborDestination where destination == nil: destination = value
            case Netlink.neighborLinkLayerAddress where linkLayer == nil: linkLayer = value
            case Netlink.neighborCacheInfo where cacheInfo == nil: cacheInfo = value
            default: break
            }
        }) {
            return .malformed("attributes \(malformation)")
        }

        guard let destination else { return .malformed("no NDA_DST attribute") }
        guard destination.count == addressSize else {
            return .malformed("NDA_DST of \(destination.count) bytes for family \(family) (needs \(addressSize))")
        }
        let address: IPAddress
        if addressSize == 4 {
            address = .v4(IPv4Address(destination[0], destination[1], destination[2], destination[3]))
        } else {
            address = .v6(IPv6Address(bytes: destination))
        }

        var entry = NeighborEntry(address: address, interfaceIndex: interfaceIndex, state: state, flags: flags)
        if let linkLayer, !linkLayer.isEmpty {
            entry.linkLayerAddress = NeighborEntry.formatLinkLayerAddress(linkLayer)
        }
        if let cacheInfo {
            guard cacheInfo.count >= Netlink.cacheInfoSize else {
                return .malformed("NDA_CACHEINFO of \(cacheInfo.count) bytes (needs 16)")
            }
            entry.confirmedAgo = NeighborEntry.duration(ticks: cacheInfo.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            entry.usedAgo = NeighborEntry.duration(ticks: cacheInfo.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            entry.updatedAgo = NeighborEntry.duration(ticks: cacheInfo.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
        return .message(NeighborMessage(kind: kind, entry: entry))
    }

    /// Parses a netlink message given as bytes (header included); for tests and tools.
    ///
    /// - Returns: the parsed message, or `.malformed` when the bytes do not frame exactly one
    ///   message.
    package static func parse(messageBytes bytes: [UInt8]) -> Parsed {
        bytes.withUnsafeBytes { buffer in
            var parsed: [Parsed] = []
            let malformation = NetlinkParser.forEachMessage(in: buffer) { header, payload in
                parsed.append(parse(type: header.type, payload: payload))
            }
            if let malformation { return .malformed("framing \(malformation)") }
            guard parsed.count == 1, let only = parsed.first else {
                return .malformed("\(parsed.count) messages where one was expected")
            }
            return only
        }
    }
}
