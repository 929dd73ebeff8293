import CProbeSys
@testable import ProbeCore
import ProbeProtocol
import Testing

/// rtnetlink messages captured from a real kernel (Linux 6.18, x86_64, so integers are
/// little-endian) in the lab's `dut` namespace (`Tests/Lab`): 198.51.100.20 / 2001:db8:100::20 /
/// fe80::ff:fe00:14 is the quiet host (MAC 02:00:00:00:00:14, drops echo, answers ARP and NDP),
/// 198.51.100.77-78 / 2001:db8:100::77-78 are silent on-link addresses, interface 2 is `veth0`,
/// interface 1 is `lo`. Dumps were requested with sequence number 77 (0x4d) from port 0x3b60.
enum NeighborCaptures {
    // MARK: RTM_GETNEIGH dump, 300 ms after an echo to each address

    /// REACHABLE 198.51.100.20 lladdr 02:00:00:00:00:14, confirmed 1995 ticks (19.95 s) ago.
    static let reachable4 = bytes(
        "4c0000001c0002004d000000603b000002000000020000000200000108000100c63364140a0002000200000000140000"
            + "080004000400000014000300cb070000cb070000cb07000001000000")
    /// FAILED 198.51.100.77 (no NDA_LLADDR), from an earlier echo.
    static let failed4 = bytes(
        "400000001c0002004d000000603b000002000000020000002000000108000100c633644d080004000600000014000300"
            + "3b1f0000cb0700009806000000000000")
    /// INCOMPLETE 198.51.100.78, 300 ms after the echo: confirmed 6030 ticks ago (never: twice
    /// base_reachable_time plus its age), used and updated 30 ticks (300 ms) ago.
    static let incomplete4 = bytes(
        "400000001c0002004d000000603b000002000000020000000100000108000100c633644e080004000400000014000300"
            + "8e1700001e0000001e00000001000000")
    /// NOARP 0.0.0.0 on lo with an all-zero lladdr.
    static let noARP4 = bytes(
        "4c0000001c0002004d000000603b000002000000010000004000000308000100000000000a0002000000000000000000"
            + "080004000000000014000300081e0000980600009806000000000000")
    /// REACHABLE 2001:db8:100::20 lladdr 02:00:00:00:00:14, confirmed 19.95 s ago.
    static let reachable6 = bytes(
        "580000001c0002004d000000603b00000a00000002000000020000011400010020010db8010000000000000000000020"
            + "0a0002000200000000140000080004000400000014000300cb070000cb070000cb07000001000000")
    /// REACHABLE fe80::ff:fe00:14 (the quiet host's link-local address) on interface 2.
    static let reachableLinkLocal6 = bytes(
        "580000001c0002004d000000603b00000a000000020000000200000114000100fe80000000000000000000fffe000014"
            + "0a0002000200000000140000080004000400000014000300cb070000cb070000cb07000001000000")
    /// INCOMPLETE 2001:db8:100::78, 300 ms after the echo.
    static let incomplete6 = bytes(
        "4c0000001c0002004d000000603b00000a00000002000000010000011400010020010db8010000000000000000000078"
            + "0800040004000000140003008e1700001e0000001e00000001000000")
    /// NOARP ff02::16 lladdr 33:33:00:00:00:16 (a multicast entry).
    static let noARPMulticast6 = bytes(
        "580000001c0002004d000000603b00000a000000020000004000000514000100ff020000000000000000000000000016"
            + "0a0002003333000000160000080004000000000014000300e2210000720a0000720a000000000000")
    /// NLMSG_DONE of the dump, error 0.
    static let done = bytes("14000000030002004d000000603b000000000000")

    /// The whole IPv4 dump datagram as the kernel sent it: reachable4, failed4, incomplete4,
    /// noARP4, done.
    static var dump4: [UInt8] { reachable4 + failed4 + incomplete4 + noARP4 + done }

    /// A DELAY entry of a later dump (sequence 77, port 0x4277): 198.51.100.20, confirmed 2.12 s ago.
    static let delay4 = bytes(
        "4c0000001c0002004d0000007742000002000000020000000800000108000100c63364140a0002000200000000140000"
            + "080004000100000014000300d4000000d4000000a400000001000000")

    // MARK: RTNLGRP_NEIGH events (sequence 0, port 0)

    /// 198.51.100.20 turned REACHABLE, 1 ms after the echo: every cacheinfo time 0.
    static let reachableEvent4 = bytes(
        "4c0000001c000000000000000000000002000000020000000200000108000100c63364140a0002000200000000140000"
            + "08000400040000001400030000000000000000000000000002000000")
    /// 2001:db8:100::77 turned FAILED, 3.07 s after the echo (the only event of a silent address:
    /// INCOMPLETE is not announced).
    static let failedEvent6 = bytes(
        "4c0000001c00000000000000000000000a00000002000000200000011400010020010db8010000000000000000000077"
            + "080004000600000014000300a2180000320100000000000001000000")
    /// fe80::ff:fe00:14 appeared STALE, learnt from the quiet host's own Neighbor Solicitation
    /// (passive evidence), confirmed 1 s ago.
    static let staleEventLinkLocal6 = bytes(
        "580000001c00000000000000000000000a000000020000000400000114000100fe80000000000000000000fffe000014"
            + "0a000200020000000014000008000400000000001400030064000000000000000000000001000000")
    /// 198.51.100.20 in PROBE (reconfirming after DELAY), confirmed 5.57 s ago.
    static let probeEvent4 = bytes(
        "4c0000001c000000000000000000000002000000020000001000000108000100c63364140a0002000200000000140000"
            + "0800040001000000140003002d0200002d0200000000000002000000")
    /// RTM_DELNEIGH of 198.51.100.20 after `ip neigh flush all` (FAILED, no lladdr).
    static let deletedEvent4 = bytes(
        "400000001d000000000000000000000002000000020000002000000108000100c6336414080004000400000014000300"
            + "b80a0000b80a0000b80a000000000000")

    // MARK: Answers to single requests (sequence 99 and 100, port 0x4334)

    /// NLMSG_ERROR -2 (ENOENT) answering an RTM_GETNEIGH for 198.51.100.99 (request echoed).
    static let errorENOENT = bytes(
        "38000000020000006300000034430000feffffff240000001e000100630000000000000002000000020000000000000008"
            + "000100c6336463")
    /// The single answer (no NLM_F_MULTI) to an RTM_GETNEIGH for 198.51.100.20: DELAY.
    static let singleAnswer = bytes(
        "4c0000001c000000640000003443000002000000020000000800000108000100c63364140a0002000200000000140000"
            + "0800040001000000140003002f0100002f010000ff00000002000000")

    /// Every single captured message.
    static let allMessages: [[UInt8]] = [
        reachable4, failed4, incomplete4, noARP4, reachable6, reachableLinkLocal6, incomplete6, noARPMulticast6,
        delay4, reachableEvent4, failedEvent6, staleEventLinkLocal6, probeEvent4, deletedEvent4, singleAnswer,
    ]

    /// Bytes from hexadecimal text.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count.isMultiple(of: 2), "odd number of hex digits")
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }
}

/// Builders of hand-made netlink messages (host byte order) for malformed-input tests.
enum NetlinkBytes {
    /// A message: header with `length` (default: the true length), then `payload`, padded.
    static func message(
        type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, portID: UInt32 = 0, length: UInt32? = nil,
        payload: [UInt8] = [], pad: Bool = true
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        NetlinkMessageHeader(
            length: length ?? UInt32(16 + payload.count), type: type, flags: flags, sequence: sequence, portID: portID
        ).append(to: &bytes)
        bytes += payload
        if pad { while bytes.count % 4 != 0 { bytes.append(0) } }
        return bytes
    }

    /// A `struct ndmsg`.
    static func neighborHeader(
        family: UInt8, interfaceIndex: Int32 = 2, state: UInt16 = 0x02, flags: UInt8 = 0, type: UInt8 = 1
    ) -> [UInt8] {
        var bytes: [UInt8] = [family, 0, 0, 0]
        NetlinkMessageHeader.appendHostOrder(interfaceIndex, to: &bytes)
        NetlinkMessageHeader.appendHostOrder(state, to: &bytes)
        bytes += [flags, type]
        return bytes
    }

    /// An attribute: `rta_len` (default: the true length), type, value, padding.
    static func attribute(_ type: UInt16, _ value: [UInt8], length: UInt16? = nil, pad: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        NetlinkMessageHeader.appendHostOrder(length ?? UInt16(4 + value.count), to: &bytes)
        NetlinkMessageHeader.appendHostOrder(type, to: &bytes)
        bytes += value
        if pad { while bytes.count % 4 != 0 { bytes.append(0) } }
        return bytes
    }

    /// `struct nda_cacheinfo` with the given tick counts.
    static func cacheInfo(confirmed: UInt32, used: UInt32, updated: UInt32, references: UInt32 = 1) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [confirmed, used, updated, references] { NetlinkMessageHeader.appendHostOrder(value, to: &bytes) }
        return bytes
    }

    /// A well-formed RTM_NEWNEIGH for 198.51.100.20 on interface 2 with `attributes` after the ndmsg.
    static func neighbor4(type: UInt16 = Netlink.newNeighbor, state: UInt16 = 0x02, attributes: [UInt8]) -> [UInt8] {
        message(type: type, payload: neighborHeader(family: Netlink.familyIPv4, state: state) + attributes)
    }
}

@Suite struct NeighborCapturesTests {
    @Test("every captured message parses as one neighbour message", arguments: NeighborCaptures.allMessages)
    func everyCaptureParses(bytes: [UInt8]) {
        guard case .message = NeighborMessage.parse(messageBytes: bytes) else {
            Issue.record("did not parse: \(NeighborMessage.parse(messageBytes: bytes))")
            return
        }
    }

    @Test func structLayoutsMatchTheKernelHeaders() {
        #expect(Netlink.messageHeaderSize == MemoryLayout<nlmsghdr>.size)
        #expect(Netlink.neighborHeaderSize == MemoryLayout<ndmsg>.size)
        #expect(Netlink.cacheInfoSize == MemoryLayout<nda_cacheinfo>.size)
        #expect(Netlink.attributeHeaderSize == MemoryLayout<rtattr>.size)
        #expect(MemoryLayout<ndmsg>.offset(of: \.ndm_ifindex) == 4)
        #expect(MemoryLayout<ndmsg>.offset(of: \.ndm_state) == 8)
        #expect(MemoryLayout<ndmsg>.offset(of: \.ndm_flags) == 10)
        #expect(Netlink.align(0) == 0 && Netlink.align(1) == 4 && Netlink.align(4) == 4 && Netlink.align(10) == 12)
    }
}
