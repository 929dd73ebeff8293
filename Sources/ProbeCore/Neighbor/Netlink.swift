import CProbeSys
import Glibc

/// The constants and arithmetic of the netlink wire format (`<linux/netlink.h>`,
/// `<linux/rtnetlink.h>`), typed for Swift.
///
/// The C macros (`NLMSG_ALIGN`, `NLMSG_OK`, `RTA_OK`, `RTA_NEXT`, …) do not import into Swift; the
/// parsers use ``align(_:)`` and explicit bounds checks instead. Integers in netlink headers and
/// attributes are in host byte order; addresses inside attributes are in network byte order.
package enum Netlink {
    /// Netlink messages and attributes are aligned to four bytes (`NLMSG_ALIGNTO`, `RTA_ALIGNTO`).
    package static let alignment = 4

    /// `length` rounded up to ``alignment`` (`NLMSG_ALIGN`, `RTA_ALIGN`).
    package static func align(_ length: Int) -> Int {
        (length + alignment - 1) & ~(alignment - 1)
    }

    /// The size of `struct nlmsghdr`.
    package static let messageHeaderSize = 16
    /// The size of `struct rtattr` (and `struct nlattr`).
    package static let attributeHeaderSize = 4
    /// The size of `struct ndmsg`.
    package static let neighborHeaderSize = 12
    /// The size of `struct nda_cacheinfo`.
    package static let cacheInfoSize = 16

    // MARK: Message types

    /// `NLMSG_NOOP`: to be skipped.
    package static let noop = UInt16(NLMSG_NOOP)
    /// `NLMSG_ERROR`: an error (negative errno) or, with 0, an acknowledgement.
    package static let error = UInt16(NLMSG_ERROR)
    /// `NLMSG_DONE`: the end of a multipart answer.
    package static let done = UInt16(NLMSG_DONE)
    /// `NLMSG_OVERRUN`: data lost (never sent by current kernels).
    package static let overrun = UInt16(NLMSG_OVERRUN)
    /// `RTM_NEWNEIGH`: a neighbour entry (in a dump, or an event that it was added or changed).
    package static let newNeighbor = UInt16(RTM_NEWNEIGH)
    /// `RTM_DELNEIGH`: an event that a neighbour entry was removed.
    package static let deleteNeighbor = UInt16(RTM_DELNEIGH)
    /// `RTM_GETNEIGH`: the request for neighbour entries.
    package static let getNeighbor = UInt16(RTM_GETNEIGH)

    // MARK: Message flags

    /// `NLM_F_REQUEST`: set on every request.
    package static let requestFlag = UInt16(NLM_F_REQUEST)
    /// `NLM_F_MULTI`: part of a multipart answer, which `NLMSG_DONE` ends.
    package static let multipartFlag = UInt16(NLM_F_MULTI)
    /// `NLM_F_ACK`: ask for an acknowledgement.
    package static let acknowledgeFlag = UInt16(NLM_F_ACK)
    /// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`): every entry of a table.
    package static let dumpFlag = UInt16(NLM_F_DUMP)
    /// `NLM_F_DUMP_INTR`: the table changed during the dump, which may be inconsistent.
    package static let dumpInterruptedFlag = UInt16(NLM_F_DUMP_INTR)

    // MARK: Attributes

    /// The type bits of an attribute's type field (`NLA_TYPE_MASK`, without `NLA_F_NESTED` and
    /// `NLA_F_NET_BYTEORDER`).
    package static let attributeTypeMask: UInt16 = ~UInt16(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
    /// `NDA_DST`: the neighbour's protocol address (4 or 16 bytes).
    package static let neighborDestination = UInt16(NDA_DST)
    /// `NDA_LLADDR`: the neighbour's link-layer address.
    package static let neighborLinkLayerAddress = UInt16(NDA_LLADDR)
    /// `NDA_CACHEINFO`: `struct nda_cacheinfo`.
    package static let neighborCacheInfo = UInt16(NDA_CACHEINFO)

    // MARK: Families and groups

    /// `AF_INET` as an `ndm_family` byte.
    package static let familyIPv4 = UInt8(AF_INET)
    /// `AF_INET6` as an `ndm_family` byte.
    package static let familyIPv6 = UInt8(AF_INET6)
    /// `RTNLGRP_NEIGH`: the multicast group of neighbour events.
    package static let neighborGroup = UInt32(RTNLGRP_NEIGH.rawValue)

    /// Clock ticks per second of the times in `struct nda_cacheinfo` (`USER_HZ`, 100 on Linux).
    package static let userHZ = 100
}
