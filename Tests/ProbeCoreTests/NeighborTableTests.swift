import Glibc
@testable import ProbeCore
import ProbeProtocol
import Testing

/// ``NeighborTable``'s matching of addresses to entries, and the netlink socket against the real
/// kernel in the test's own namespace (read-only requests; nothing is sent on any network).
@Suite struct NeighborTableTests {
    static func v4(_ d: UInt8) -> IPAddress { .v4(IPv4Address(198, 51, 100, d)) }
    static func linkLocal(zone: String? = nil) -> IPAddress {
        .v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 0x00ff_fe00_0014, zone: zone))
    }

    static func entry(
        _ address: IPAddress, interface: Int32 = 2, state: NeighborState = .reachable,
        mac: String? = "02:00:00:00:00:14", confirmedAgo: Duration? = .seconds(1)
    ) -> NeighborEntry {
        NeighborEntry(address: address, interfaceIndex: interface, state: state, linkLayerAddress: mac, confirmedAgo: confirmedAgo)
    }

    static let names: [String: Int32] = ["veth0": 2, "eth1": 3]
    static func index(_ name: String) -> Int32? { names[name] }

    @Test func matchesByAddressAndKeysByTheGivenAddress() {
        let entries = [Self.entry(Self.v4(20)), Self.entry(Self.v4(77), state: .failed, mac: nil)]
        let matched = NeighborTable.match([Self.v4(20), Self.v4(77), Self.v4(99)], in: entries, interfaceIndex: Self.index)
        #expect(matched.count == 2)
        #expect(matched[Self.v4(20)]?.state == .reachable)
        #expect(matched[Self.v4(77)]?.state == .failed)
        #expect(matched[Self.v4(99)] == nil)
    }

    @Test func aZoneSelectsTheInterface() {
        let onVeth = Self.entry(Self.linkLocal(), interface: 2, mac: "02:00:00:00:00:14")
        let onEth1 = Self.entry(Self.linkLocal(), interface: 3, mac: "02:00:00:00:00:99")
        let entries = [onVeth, onEth1]
        let addresses = [
            Self.linkLocal(zone: "veth0"), Self.linkLocal(zone: "eth1"), Self.linkLocal(zone: "3"),
            Self.linkLocal(zone: "nosuch"), Self.linkLocal(zone: "7"),
        ]
        let matched = NeighborTable.match(addresses, in: entries, interfaceIndex: Self.index)
        #expect(matched[Self.linkLocal(zone: "veth0")] == onVeth)
        #expect(matched[Self.linkLocal(zone: "eth1")] == onEth1)
        #expect(matched[Self.linkLocal(zone: "3")] == onEth1, "a numeric zone is an interface index")
        #expect(matched[Self.linkLocal(zone: "nosuch")] == nil)
        #expect(matched[Self.linkLocal(zone: "7")] == nil)
    }

    @Test func withoutAZoneTheEntryThatBestShowsAHostWins() {
        let address = Self.linkLocal()
        let failed = Self.entry(address, interface: 2, state: .failed, mac: nil, confirmedAgo: .zero)
        let staleOld = Self.entry(address, interface: 3, state: .stale, confirmedAgo: .seconds(100))
        let staleRecent = Self.entry(address, interface: 4, state: .stale, confirmedAgo: .seconds(2))
        let reachable = Self.entry(address, interface: 5, state: .reachable, confirmedAgo: .seconds(20))
        let permanent = Self.entry(address, interface: 6, state: .permanent, confirmedAgo: .zero)

        func best(_ entries: [NeighborEntry]) -> NeighborEntry? {
            NeighborTable.match([address], in: entries, interfaceIndex: Self.index)[address]
        }
        #expect(best([failed, staleOld]) == staleOld)
        #expect(best([staleOld, failed]) == staleOld)
        #expect(best([staleOld, staleRecent]) == staleRecent)
        #expect(best([staleRecent, reachable, staleOld]) == reachable)
        #expect(best([permanent, staleOld]) == staleOld)
        #expect(best([failed]) == failed)
    }

    @Test func familiesDoNotMix() {
        let entries = [Self.entry(.v6(IPv6Address(high: 0, low: 0xffff_c633_6414)))]
        // An IPv4-mapped IPv6 entry (which the kernel never makes) does not match the IPv4 address.
        #expect(NeighborTable.match([Self.v4(20)], in: entries, interfaceIndex: Self.index).isEmpty)
    }

    // MARK: Against the kernel

    @Test func dumpsTheTestsOwnNamespace() throws {
        let table = try NeighborTable()
        for family in IPFamily.allCases {
            let entries = try table.dump(family: family)
            #expect(entries.allSatisfy { $0.address.family == family })
        }
        #expect(table.statistics.dumps == 2)
        #expect(table.statistics.malformed == 0)
        // Loopback exists in every namespace.
        #expect(table.interfaceIndex(named: "lo") == 1)
        #expect(table.interfaceIndex(named: "no-such-if0") == nil)
        #expect(table.interfaceIndex(named: "") == nil)
        #expect(table.interfaceIndex(named: String(repeating: "x", count: 40)) == nil)
    }

    @Test func entriesForNoAddressesDumpsNothing() throws {
        let table = try NeighborTable()
        #expect(try table.entries(for: [IPAddress]()).isEmpty)
        #expect(table.statistics.dumps == 0)
        _ = try table.entries(for: [IPAddress.v4(IPv4Address(127, 0, 0, 99)), .v4(IPv4Address(127, 0, 0, 98))])
        #expect(table.statistics.dumps == 1, "one dump per family")
    }

    @Test func aKernelErrorIsThrownAndTheSocketStaysUsable() throws {
        let socket = try NetlinkSocket()
        #expect(socket.portID != 0)
        // RTM_GETNEIGH (not a dump) of 127.0.0.99 on lo: there is no such entry.
        var payload = NetlinkBytes.neighborHeader(family: Netlink.familyIPv4, interfaceIndex: 1, state: 0, type: 0)
        payload += NetlinkBytes.attribute(Netlink.neighborDestination, [127, 0, 0, 99])
        let error = #expect(throws: NetlinkError.self) {
            try socket.request(type: Netlink.getNeighbor, flags: 0, payload: payload) { _, _ in }
        }
        #expect(error?.code == .kernel)
        #expect(error?.errno == ENOENT)
        // The next request on the same socket works.
        let table = NeighborTable(socket: socket)
        _ = try table.dump(family: .ipv4)
        #expect(table.statistics.dumps == 1)
    }

    @Test func aMonitorReadsNothingWithoutBlocking() throws {
        let monitor = try NetlinkSocket.openMonitor()
        let clock = ContinuousClock()
        let start = clock.now
        var events: [NeighborMessage] = []
        let summary = try monitor.readEvents { events.append($0) }
        #expect(clock.now - start < .milliseconds(500))
        #expect(summary.events == events.count)
        #expect(!summary.more)
    }
}
