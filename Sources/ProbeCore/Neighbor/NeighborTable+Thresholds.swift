import CProbeSys
import Glibc

extension NeighborTable {
    /// The on-link probe budget when the neighbour tables' size cannot be read: half of the
    /// kernel's default `gc_thresh3` (1,024).
    package static let defaultOnLinkProbeBudget = 512

    /// Half of the smaller `gc_thresh3` of the IPv4 and IPv6 neighbour tables (the hard bound on
    /// their entries, so on how many on-link targets can be resolving at once), at least 16.
    package static func onLinkProbeBudget(gcThresh3: Int?) -> Int {
        guard let gcThresh3 else { return defaultOnLinkProbeBudget }
        return max(16, gcThresh3 / 2)
    }

    /// The smaller `gc_thresh3` of the ARP (IPv4) and NDP (IPv6) neighbour tables, read through
    /// rtnetlink (`RTM_GETNEIGHTBL`, attribute `NDTA_THRESH3`), or `nil` when neither table
    /// reports it.
    ///
    /// rtnetlink needs no privilege and no file: `/proc/sys/net/ipv4/neigh/default/gc_thresh3`
    /// is not visible under the shipped unit (`ProcSubset=pid`, `ProtectKernelTunables=yes`).
    package func gcThresh3() throws(NetlinkError) -> Int? {
        var limits: [Int] = []
        // struct ndtmsg { u8 ndtm_family; u8 pad1; u16 pad2; }: AF_UNSPEC, every table.
        let request = [UInt8](repeating: 0, count: Self.tableHeaderSize)
        try socket.request(type: Self.getNeighborTable, flags: Netlink.dumpFlag, payload: request) { header, payload in
            guard header.type == Self.newNeighborTable, let limit = Self.gcThresh3(ofTableMessage: payload) else {
                return
            }
            limits.append(limit)
        }
        return limits.min()
    }

    /// The `NDTA_THRESH3` of one `RTM_NEWNEIGHTBL` payload of the IPv4 or IPv6 table, or `nil`
    /// (another family, or a message that carries only one device's parameters).
    package static func gcThresh3(ofTableMessage payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count >= tableHeaderSize else { return nil }
        let family = payload[0]
        guard family == Netlink.familyIPv4 || family == Netlink.familyIPv6 else { return nil }
        var limit: Int?
        let attributes = UnsafeRawBufferPointer(rebasing: payload[tableHeaderSize...])
        NetlinkParser.forEachAttribute(in: attributes) { type, value in
            guard type == thresh3Attribute, value.count >= 4 else { return }
            limit = Int(value.loadUnaligned(as: UInt32.self))
        }
        return limit
    }

    /// `sizeof(struct ndtmsg)`.
    static let tableHeaderSize = 4
    /// `RTM_NEWNEIGHTBL`, the type of the dump's messages.
    static let newNeighborTable = UInt16(64)
    /// `RTM_GETNEIGHTBL`.
    static let getNeighborTable = UInt16(66)
    /// `NDTA_THRESH3` (a `u32`).
    static let thresh3Attribute = UInt16(4)
}
