import Testing

@testable import ProbeCore

/// The neighbour solicitor's packets, byte by byte: what leaves (RFC 5227 ARP probes, RFC 4861
/// Neighbor Solicitations) and which received packets claim an address.
@Suite struct SolicitationPacketTests {
    static let mac: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
    static let quietMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x14]

    func claim(_ bytes: [UInt8], arp: Bool) -> SolicitationPacket.Claim? {
        bytes.withUnsafeBytes { arp ? SolicitationPacket.arpClaim($0) : SolicitationPacket.advertisementClaim($0) }
    }

    @Test func anARPProbeClaimsNoAddressOfItsOwn() {
        let packet = SolicitationPacket.arpProbe(target: 0xC633_6414, senderMAC: Self.mac)  // 198.51.100.20
        #expect(packet == [0, 1, 8, 0, 6, 4, 0, 1] + Self.mac + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0] + [198, 51, 100, 20])
        // Our own probe, read back, claims nothing (sender 0.0.0.0).
        #expect(claim(packet, arp: true) == nil)
    }

    @Test func anARPReplyOrRequestClaimsItsSenderAddress() {
        for operation: UInt8 in [1, 2] {
            let packet: [UInt8] = [0, 1, 8, 0, 6, 4, 0, operation] + Self.quietMAC + [198, 51, 100, 20] + Self.mac + [0, 0, 0, 0]
            let found = claim(packet, arp: true)
            #expect(found == SolicitationPacket.Claim(family: .ipv4, high: 0, low: 0xC633_6414, mac: Self.quietMAC))
        }
    }

    @Test(arguments: [
        [0, 6, 8, 0, 6, 4, 0, 2],  // not Ethernet
        [0, 1, 0x86, 0xDD, 6, 4, 0, 2],  // not IPv4
        [0, 1, 8, 0, 6, 4, 0, 3],  // RARP request
        [0, 1, 8, 0, 8, 4, 0, 2],  // hardware address length 8
    ] as [[UInt8]])
    func otherARPPacketsClaimNothing(header: [UInt8]) {
        let packet = header + Self.quietMAC + [198, 51, 100, 20] + Self.mac + [0, 0, 0, 0]
        #expect(claim(packet, arp: true) == nil)
        #expect(claim(Array(([0, 1, 8, 0, 6, 4, 0, 2] + Self.quietMAC + [198, 51, 100, 20]).prefix(27)), arp: true) == nil)
    }

    @Test func aNeighborSolicitationGoesToTheSolicitedNodeGroup() {
        let (high, low): (UInt64, UInt64) = (0x2001_0db8_0100_0000, 0x0000_0000_00ab_cdef)
        let packet = SolicitationPacket.neighborSolicitation(high: high, low: low, senderMAC: Self.mac)
        #expect(packet.count == 32)
        #expect(Array(packet[0..<8]) == [135, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(packet[8..<24]) == [0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef])
        #expect(Array(packet[24...]) == [1, 1] + Self.mac)
        let group = SolicitationPacket.solicitedNodeMulticast(high: high, low: low)
        #expect(group.high == 0xFF02_0000_0000_0000)
        #expect(group.low == 0x0000_0001_FFAB_CDEF)
    }

    static func advertisement(target: [UInt8], options: [UInt8]) -> [UInt8] {
        [136, 0, 0, 0, 0x60, 0, 0, 0] + target + options
    }

    static let target: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20]

    @Test func aNeighborAdvertisementClaimsItsTarget() {
        let packet = Self.advertisement(target: Self.target, options: [2, 1] + Self.quietMAC)
        #expect(claim(packet, arp: false) == SolicitationPacket.Claim(family: .ipv6, high: 0x2001_0db8_0100_0000, low: 0x20, mac: Self.quietMAC))
        // The link-layer option after another option.
        let later = Self.advertisement(target: Self.target, options: [14, 1, 0, 0, 0, 0, 0, 0] + [2, 1] + Self.quietMAC)
        #expect(claim(later, arp: false)?.mac == Self.quietMAC)
    }

    @Test(arguments: [
        [] as [UInt8],  // no target link-layer address
        [1, 1, 2, 0, 0, 0, 0, 0x14],  // a source link-layer address only
        [2, 0, 2, 0, 0, 0, 0, 0x14],  // option length 0 (RFC 4861: discard)
        [2, 2, 2, 0, 0, 0, 0, 0x14],  // longer than the packet
    ])
    func advertisementsWithoutAUsableOptionClaimNothing(options: [UInt8]) {
        #expect(claim(Self.advertisement(target: Self.target, options: options), arp: false) == nil)
    }

    @Test func aSolicitationOrAMulticastTargetClaimsNothing() {
        var solicitation = Self.advertisement(target: Self.target, options: [2, 1] + Self.quietMAC)
        solicitation[0] = 135
        #expect(claim(solicitation, arp: false) == nil)
        let multicast = Self.advertisement(target: [0xFF, 0x02] + Array(repeating: 0, count: 13) + [1], options: [2, 1] + Self.quietMAC)
        #expect(claim(multicast, arp: false) == nil)
    }
}
