import CProbeSys
import Foundation
import Glibc
package import ProbeProtocol

/// The subnets this machine reaches without a router: the prefixes of its own interface addresses.
/// Every probe of a target inside one makes the kernel resolve it through ARP/NDP, which takes an
/// entry of the neighbour table (bounded by `gc_thresh3`).
package struct LinkPrefixes: Sendable, Hashable {
    package private(set) var prefixes: [IPPrefix]
    /// Beside ``prefixes``: the index of the interface each is on (0 where unknown).
    private var interfaces: [UInt32]

    package init(_ prefixes: [IPPrefix] = [], interfaces: [UInt32]? = nil) {
        self.prefixes = prefixes
        self.interfaces = interfaces ?? Array(repeating: 0, count: prefixes.count)
    }

    /// Whether `address` lies on one of the links.
    package func contains(_ address: IPAddress) -> Bool {
        prefixes.contains { $0.contains(address) }
    }

    /// The interface through which `address` is on-link (the longest prefix that holds it), or
    /// nil when it is on no link.
    package func interface(for address: IPAddress) -> UInt32? {
        var best: (length: Int, interface: UInt32)?
        for (index, prefix) in prefixes.enumerated() where prefix.contains(address) && interfaces[index] != 0 {
            if best == nil || prefix.length > best!.length { best = (prefix.length, interfaces[index]) }
        }
        return best?.interface
    }

    /// Parses one `RTM_NEWADDR` payload (`struct ifaddrmsg` and its attributes): the prefix of a
    /// global or link-scope address shorter than a host prefix; nil otherwise.
    package static func prefix(ofAddressMessage payload: UnsafeRawBufferPointer) -> IPPrefix? {
        entry(ofAddressMessage: payload)?.prefix
    }

    /// ``prefix(ofAddressMessage:)`` with the index of the interface the address is on.
    package static func entry(ofAddressMessage payload: UnsafeRawBufferPointer) -> (prefix: IPPrefix, interface: UInt32)? {
        guard payload.count >= 8 else { return nil }
        let family = payload[0]
        let length = Int(payload[1])
        let scope = payload[3]
        guard scope != UInt8(RT_SCOPE_HOST.rawValue), scope != UInt8(RT_SCOPE_NOWHERE.rawValue) else { return nil }
        var address: IPAddress?
        NetlinkParser.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: payload[8...])) { type, value in
            guard type == UInt16(IFA_ADDRESS) else { return }
            if family == UInt8(AF_INET), value.count == 4 {
                address = .v4(IPv4Address(UInt32(bigEndian: value.loadUnaligned(as: UInt32.self))))
            } else if family == UInt8(AF_INET6), value.count == 16 {
                address = .v6(IPv6Address(bytes: Array(value)))
            }
        }
        guard let address else { return nil }
        let hostLength = address.family == .ipv4 ? 32 : 128
        guard length < hostLength, let prefix = IPPrefix(address: address, length: length) else { return nil }
        return (prefix, payload.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }
}

extension NeighborTable {
    /// Reads the interface addresses (`RTM_GETADDR`, both families) of this network namespace.
    package func linkPrefixes() throws(NetlinkError) -> LinkPrefixes {
        var prefixes: [IPPrefix] = []
        var interfaces: [UInt32] = []
        let request = [UInt8](repeating: 0, count: 8)  // struct ifaddrmsg, family AF_UNSPEC: all
        try socket.request(type: UInt16(RTM_GETADDR), flags: Netlink.dumpFlag, payload: request) { header, payload in
            guard header.type == UInt16(RTM_NEWADDR), let entry = LinkPrefixes.entry(ofAddressMessage: payload) else { return }
            if !prefixes.contains(entry.prefix) {
                prefixes.append(entry.prefix)
                interfaces.append(entry.interface)
            }
        }
        return LinkPrefixes(prefixes, interfaces: interfaces)
    }
}
