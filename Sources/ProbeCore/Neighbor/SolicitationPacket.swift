/// The packets of the neighbour solicitor: ARP probes (RFC 5227) and Neighbor Solicitations
/// (RFC 4861 §4.3) out, ARP packets and Neighbor Advertisements in. Pure byte work, so that it can
/// be tested and fuzzed without sockets.
enum SolicitationPacket {
    /// What a received packet says: `address` (IPv4 in the low 32 bits of `low`, or IPv6 as two
    /// halves) is held by the host with link-layer address `mac`.
    struct Claim: Sendable, Hashable {
        let family: EchoFamily
        let high: UInt64
        let low: UInt64
        let mac: [UInt8]
    }

    /// The Ethernet protocol number of ARP.
    static let arpProtocol: UInt16 = 0x0806
    /// The Ethernet broadcast address, where ARP probes go.
    static let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    /// ICMPv6 Neighbor Solicitation and Advertisement.
    static let solicitationType: UInt8 = 135
    static let advertisementType: UInt8 = 136

    /// An ARP probe for `target` (RFC 5227 §2.1.1): a request with sender protocol address
    /// 0.0.0.0, so that no host's ARP cache learns anything from it, and an empty target hardware
    /// address. 28 bytes (the kernel adds the Ethernet header).
    static func arpProbe(target: UInt32, senderMAC: [UInt8]) -> [UInt8] {
        var packet: [UInt8] = [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]  // Ethernet, IPv4, request
        packet += senderMAC.prefix(6)
        packet += [0, 0, 0, 0]  // sender protocol address: 0.0.0.0 (a probe)
        packet += [0, 0, 0, 0, 0, 0]
        packet += bytes(of: target)
        return packet
    }

    /// Reads an ARP packet for IPv4 over Ethernet: its sender protocol and hardware addresses,
    /// whether it is a request or a reply. Nil for anything else, or when the sender claims no
    /// address (another host's probe, sender 0.0.0.0).
    static func arpClaim(_ packet: UnsafeRawBufferPointer) -> Claim? {
        guard packet.count >= 28 else { return nil }
        guard packet[0] == 0, packet[1] == 1, packet[2] == 0x08, packet[3] == 0x00, packet[4] == 6, packet[5] == 4,
            packet[6] == 0, packet[7] == 1 || packet[7] == 2
        else { return nil }
        let mac = Array(packet[8..<14])
        let sender = UInt32(packet[14]) << 24 | UInt32(packet[15]) << 16 | UInt32(packet[16]) << 8 | UInt32(packet[17])
        guard sender != 0 else { return nil }
        return Claim(family: .ipv4, high: 0, low: UInt64(sender), mac: mac)
    }

    /// A Neighbor Solicitation for the IPv6 address (`high`, `low`) with the source link-layer
    /// address option: 32 bytes of ICMPv6 (the kernel computes the checksum of a raw ICMPv6
    /// socket's messages).
    static func neighborSolicitation(high: UInt64, low: UInt64, senderMAC: [UInt8]) -> [UInt8] {
        var packet: [UInt8] = [solicitationType, 0, 0, 0, 0, 0, 0, 0]
        packet += bytes(of: high) + bytes(of: low)
        packet += [1, 1]  // source link-layer address, 8 bytes
        packet += senderMAC.prefix(6)
        return packet
    }

    /// The solicited-node multicast address of (`high`, `low`): ff02::1:ffXX:XXXX, the low 24 bits
    /// of the target.
    static func solicitedNodeMulticast(high: UInt64, low: UInt64) -> (high: UInt64, low: UInt64) {
        (0xFF02_0000_0000_0000, 0x0000_0001_FF00_0000 | (low & 0x00FF_FFFF))
    }

    /// Reads a Neighbor Advertisement (RFC 4861 §4.4): its target and the target link-layer
    /// address option. Nil for anything else, a malformed option, or an advertisement without the
    /// option (one that answers a multicast solicitation always carries it).
    static func advertisementClaim(_ packet: UnsafeRawBufferPointer) -> Claim? {
        guard packet.count >= 24, packet[0] == advertisementType, packet[1] == 0 else { return nil }
        let high = load(packet, at: 8)
        let low = load(packet, at: 16)
        var offset = 24
        var mac: [UInt8]?
        while offset + 2 <= packet.count {
            let length = Int(packet[offset + 1]) * 8
            guard length > 0, offset + length <= packet.count else { return nil }
            if packet[offset] == 2, length >= 8 { mac = Array(packet[(offset + 2)..<(offset + 8)]) }
            offset += length
        }
        guard let mac, high >> 56 != 0xFF else { return nil }
        return Claim(family: .ipv6, high: high, low: low, mac: mac)
    }

    private static func bytes(of value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func bytes(of value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }

    private static func load(_ packet: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(packet[index]) }
        return value
    }
}
