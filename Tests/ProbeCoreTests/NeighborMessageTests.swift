@testable import ProbeCore
import ProbeProtocol
import Testing

@Suite struct NeighborMessageTests {
    typealias C = NeighborCaptures

    static let quiet4 = IPAddress.v4(IPv4Address(198, 51, 100, 20))
    static let quiet6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0100_0000, low: 0x20))
    static let quietLinkLocal = IPAddress.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 0x00ff_fe00_0014))

    static func message(_ bytes: [UInt8]) throws -> NeighborMessage {
        let parsed = NeighborMessage.parse(messageBytes: bytes)
        guard case .message(let message) = parsed else {
            throw ParseFailure(description: "expected a neighbour message, got \(parsed)")
        }
        return message
    }

    struct ParseFailure: Error, CustomStringConvertible { var description: String }

    @Test func reachableIPv4FromADump() throws {
        let message = try Self.message(C.reachable4)
        #expect(message.kind == .new)
        let entry = message.entry
        #expect(entry.address == Self.quiet4)
        #expect(entry.interfaceIndex == 2)
        #expect(entry.state == .reachable)
        #expect(entry.flags == 0)
        #expect(entry.linkLayerAddress == "02:00:00:00:00:14")
        #expect(entry.confirmedAgo == .milliseconds(19_950))
        #expect(entry.usedAgo == .milliseconds(19_950))
        #expect(entry.updatedAgo == .milliseconds(19_950))
    }

    @Test func reachableIPv6AndLinkLocal() throws {
        let global = try Self.message(C.reachable6).entry
        #expect(global.address == Self.quiet6)
        #expect(global.state == .reachable)
        #expect(global.linkLayerAddress == "02:00:00:00:00:14")

        let linkLocal = try Self.message(C.reachableLinkLocal6).entry
        #expect(linkLocal.address == Self.quietLinkLocal)
        #expect(linkLocal.address.zone == nil, "the zone is the interface index, not part of the address")
        #expect(linkLocal.interfaceIndex == 2)
        #expect("\(linkLocal.address)" == "fe80::ff:fe00:14")
    }

    @Test func incompleteAndFailedHaveNoLinkLayerAddress() throws {
        let incomplete = try Self.message(C.incomplete4).entry
        #expect(incomplete.address == .v4(IPv4Address(198, 51, 100, 78)))
        #expect(incomplete.state == .incomplete)
        #expect(incomplete.linkLayerAddress == nil)
        #expect(incomplete.confirmedAgo == .milliseconds(60_300))
        #expect(incomplete.usedAgo == .milliseconds(300))

        let incomplete6 = try Self.message(C.incomplete6).entry
        #expect(incomplete6.address == .v6(IPv6Address(high: 0x2001_0db8_0100_0000, low: 0x78)))
        #expect(incomplete6.state == .incomplete)

        let failed = try Self.message(C.failed4).entry
        #expect(failed.state == .failed)
        #expect(failed.linkLayerAddress == nil)
    }

    @Test func noARPEntries() throws {
        let loopback = try Self.message(C.noARP4).entry
        #expect(loopback.address == .v4(IPv4Address(0)))
        #expect(loopback.interfaceIndex == 1)
        #expect(loopback.state == .noARP)
        #expect(loopback.linkLayerAddress == "00:00:00:00:00:00")

        let multicast = try Self.message(C.noARPMulticast6).entry
        #expect(multicast.linkLayerAddress == "33:33:00:00:00:16")
        #expect(multicast.state == .noARP)
    }

    @Test func events() throws {
        let reachable = try Self.message(C.reachableEvent4)
        #expect(reachable.kind == .new)
        #expect(reachable.entry.state == .reachable)
        #expect(reachable.entry.confirmedAgo == .zero)

        let failed = try Self.message(C.failedEvent6)
        #expect(failed.entry.state == .failed)
        #expect(failed.entry.confirmedAgo == .milliseconds(63_060))

        let stale = try Self.message(C.staleEventLinkLocal6)
        #expect(stale.entry.state == .stale)
        #expect(stale.entry.address == Self.quietLinkLocal)
        #expect(stale.entry.confirmedAgo == .seconds(1))

        let probe = try Self.message(C.probeEvent4)
        #expect(probe.entry.state == .probe)
        #expect(probe.entry.confirmedAgo == .milliseconds(5570))

        let deleted = try Self.message(C.deletedEvent4)
        #expect(deleted.kind == .deleted)
        #expect(deleted.entry.address == Self.quiet4)
    }

    @Test func delayEntryAndSingleAnswer() throws {
        #expect(try Self.message(C.delay4).entry.state == .delay)
        let single = try Self.message(C.singleAnswer).entry
        #expect(single.state == .delay)
        #expect(single.confirmedAgo == .milliseconds(3030))
        #expect(single.updatedAgo == .milliseconds(2550))
    }

    @Test func linkLayerAddressFormatting() {
        #expect(NeighborEntry.formatLinkLayerAddress([0x02, 0, 0, 0, 0, 0x14]) == "02:00:00:00:00:14")
        #expect(NeighborEntry.formatLinkLayerAddress([0xAB, 0xCD, 0xEF]) == "ab:cd:ef")
        #expect(NeighborEntry.formatLinkLayerAddress([0x0F]) == "0f")
        #expect(NeighborEntry.formatLinkLayerAddress([UInt8]()) == "")
        // InfiniBand: 20 bytes.
        let long = NeighborEntry.formatLinkLayerAddress([UInt8](0..<20))
        #expect(long.split(separator: ":").count == 20)
        #expect(long.hasPrefix("00:01:02:") && long.hasSuffix(":13"))
    }

    @Test func stateDescriptions() {
        #expect("\(NeighborState.reachable)" == "REACHABLE")
        #expect("\(NeighborState.none)" == "NONE")
        #expect("\([NeighborState.stale, .probe] as NeighborState)" == "STALE|PROBE")
        #expect("\(NeighborState(rawValue: 0x0180))" == "PERMANENT|0x100")
        #expect(NeighborState.incomplete.rawValue == 0x01 && NeighborState.permanent.rawValue == 0x80)
        #expect(NeighborState.failed.rawValue == 0x20 && NeighborState.noARP.rawValue == 0x40)
    }

    @Test func entryDescription() throws {
        let entry = try Self.message(C.reachable4).entry
        #expect("\(entry)" == "198.51.100.20 if 2 lladdr 02:00:00:00:00:14 REACHABLE confirmed 19950ms ago")
    }

    @Test func bridgeForwardingEntriesAreIgnored() {
        // AF_BRIDGE (7) fdb entries share RTM_NEWNEIGH and the RTNLGRP_NEIGH group.
        let attributes = NetlinkBytes.attribute(Netlink.neighborLinkLayerAddress, [2, 0, 0, 0, 0, 0x14])
        let bridge = NetlinkBytes.message(
            type: Netlink.newNeighbor, payload: NetlinkBytes.neighborHeader(family: 7) + attributes)
        guard case .ignored = NeighborMessage.parse(messageBytes: bridge) else {
            Issue.record("an AF_BRIDGE message was not ignored")
            return
        }
        guard case .ignored = NeighborMessage.parse(messageBytes: NetlinkBytes.message(type: 16, payload: [UInt8](repeating: 0, count: 16))) else {
            Issue.record("an RTM_NEWLINK message was not ignored")
            return
        }
    }

    @Test func flagsAndUnknownAttributesAndFlagBitsInTypes() throws {
        // NTF_ROUTER, an unknown attribute 99, and NDA_DST with NLA_F_NET_BYTEORDER set in its type.
        var attributes = NetlinkBytes.attribute(99, [1, 2, 3])
        attributes += NetlinkBytes.attribute(Netlink.neighborDestination | 0x4000, [198, 51, 100, 20])
        attributes += NetlinkBytes.attribute(Netlink.neighborLinkLayerAddress, [2, 0, 0, 0, 0, 0x14])
        let bytes = NetlinkBytes.message(
            type: Netlink.newNeighbor,
            payload: NetlinkBytes.neighborHeader(family: Netlink.familyIPv4, flags: 0x80) + attributes)
        let entry = try Self.message(bytes).entry
        #expect(entry.address == Self.quiet4)
        #expect(entry.flags == 0x80)
        #expect(entry.linkLayerAddress == "02:00:00:00:00:14")
        #expect(entry.confirmedAgo == nil)
    }
}
