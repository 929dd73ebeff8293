import CProbeSys
import Glibc
import Synchronization

/// Sends ARP probes (IPv4) and Neighbor Solicitations (IPv6) of its own to on-link targets and
/// reads what answers them, so that a host that drops echo requests but answers ARP or NDP is
/// caught within the deadline even when the kernel's entry for it is stale (the kernel would not
/// re-probe a STALE entry for `delay_first_probe_time`, 5 s).
///
/// It needs `CAP_NET_RAW`: an `AF_PACKET` socket for ARP (every interface, ARP frames only) and a
/// raw ICMPv6 socket that passes only Neighbor Advertisements. ``open()`` fails without it, and
/// the engine then goes on without solicitations. The engine's loop thread sends and reads; the
/// interface cache is behind a lock only so that the type can be shared.
final class NeighborSolicitor: Sendable {
    /// The ARP socket.
    let arpDescriptor: Int32
    /// The ICMPv6 socket (Neighbor Solicitations out, Advertisements in).
    let ndpDescriptor: Int32
    /// Interface index → its Ethernet address, or nil for an interface that does no ARP/NDP
    /// (loopback, `NOARP`, not Ethernet); re-read after ``interfaceRefresh``.
    private let interfaces = Mutex<[UInt32: (mac: [UInt8]?, readAt: UInt64)]>([:])

    static let interfaceRefresh: UInt64 = 10_000_000_000
    /// From <linux/if_packet.h> and <net/if_arp.h>, which Swift's Glibc module leaves out: a
    /// frame this host sent, and the hardware type of Ethernet.
    static let packetOutgoing: Int32 = 4
    static let ethernetHardware: Int32 = 1
    /// `struct in6_pktinfo` (declared by glibc only under _GNU_SOURCE): the address, then the
    /// interface index.
    static let packetInfoSize = 20
    static let packetInfoInterfaceOffset = 16

    /// Why the sockets could not be opened.
    struct OpenError: Error, CustomStringConvertible {
        /// The errno of the failed call (EPERM: no `CAP_NET_RAW`).
        let errno: Int32
        let description: String
        /// Refused for lack of privilege, the expected case without `CAP_NET_RAW`.
        var isPermission: Bool { errno == EPERM || errno == EACCES }
    }

    private init(arpDescriptor: Int32, ndpDescriptor: Int32) {
        self.arpDescriptor = arpDescriptor
        self.ndpDescriptor = ndpDescriptor
    }

    deinit {
        close(arpDescriptor)
        close(ndpDescriptor)
    }

    /// Opens both sockets in the calling thread's network namespace.
    static func open() throws(OpenError) -> NeighborSolicitor {
        let arp = cprobe_packet_socket(SolicitationPacket.arpProtocol)
        guard arp >= 0 else { throw OpenError(errno: errno, description: "cannot open an ARP packet socket: \(EchoSocket.describe(errno: errno))") }
        let ndp = socket(AF_INET6, Int32(SOCK_RAW.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMPV6))
        guard ndp >= 0 else {
            let code = errno
            close(arp)
            throw OpenError(errno: code, description: "cannot open a raw ICMPv6 socket: \(EchoSocket.describe(errno: code))")
        }
        var filter = icmp6_filter()
        var passed: [UInt8] = [SolicitationPacket.advertisementType]
        cprobe_icmp6_filter_pass_only(&filter, &passed, Int32(passed.count))
        var one: Int32 = 1
        // RFC 4861: solicitations leave with hop limit 255, and an advertisement counts only when
        // it arrived with 255 (it cannot have crossed a router).
        var hops: Int32 = 255
        let size = socklen_t(MemoryLayout<Int32>.size)
        let configured =
            setsockopt(ndp, Int32(IPPROTO_ICMPV6), ICMP6_FILTER, &filter, socklen_t(MemoryLayout<icmp6_filter>.size)) == 0
            && setsockopt(ndp, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &hops, size) == 0
            && setsockopt(ndp, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &hops, size) == 0
            && setsockopt(ndp, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, &one, size) == 0
            && setsockopt(ndp, Int32(IPPROTO_IPV6), IPV6_RECVHOPLIMIT, &one, size) == 0
        guard configured else {
            let code = errno
            close(arp)
            close(ndp)
            throw OpenError(errno: code, description: "cannot configure the ICMPv6 socket: \(EchoSocket.describe(errno: code))")
        }
        return NeighborSolicitor(arpDescriptor: arp, ndpDescriptor: ndp)
    }

    /// Sends one solicitation for `target` out of `interface`: an ARP probe to the broadcast
    /// address, or a Neighbor Solicitation to the target's solicited-node multicast address.
    ///
    /// - Returns: whether it left (false for an interface without ARP/NDP, or a failed send).
    func solicit(_ target: EchoTarget, interface: UInt32, now: UInt64) -> Bool {
        guard let mac = ethernetAddress(of: interface, now: now) else { return false }
        switch target.family {
        case .ipv4:
            let packet = SolicitationPacket.arpProbe(target: UInt32(truncatingIfNeeded: target.low), senderMAC: mac)
            let sent = packet.withUnsafeBytes { payload in
                SolicitationPacket.broadcast.withUnsafeBufferPointer { destination in
                    cprobe_packet_send(
                        arpDescriptor, Int32(interface), SolicitationPacket.arpProtocol, destination.baseAddress, destination.count,
                        payload.baseAddress, payload.count)
                }
            }
            return sent == packet.count
        case .ipv6:
            let packet = SolicitationPacket.neighborSolicitation(high: target.high, low: target.low, senderMAC: mac)
            let group = SolicitationPacket.solicitedNodeMulticast(high: target.high, low: target.low)
            let destination = EchoTarget(family: .ipv6, high: group.high, low: group.low, scopeID: interface)
            let sent = packet.withUnsafeBytes { payload in
                destination.withSocketAddress { address, length in
                    sendto(ndpDescriptor, payload.baseAddress, payload.count, Int32(MSG_DONTWAIT), address, length)
                }
            }
            return sent == packet.count
        }
    }

    /// Reads what waits on both sockets (at most `limit` packets each): every ARP packet from
    /// another host that claims an address, and every Neighbor Advertisement that arrived with hop
    /// limit 255, with the interface it came in on.
    func receive(limit: Int = 64, _ body: (SolicitationPacket.Claim, UInt32) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 1500)
        for _ in 0..<limit {
            var interface: Int32 = 0
            var packetType: Int32 = 0
            let count = buffer.withUnsafeMutableBytes { cprobe_packet_receive(arpDescriptor, $0.baseAddress, $0.count, &interface, &packetType) }
            guard count >= 0 else { break }
            // This host's own frames (its ARP requests, our probes) claim nothing about others.
            guard packetType != Self.packetOutgoing, interface > 0 else { continue }
            let claim = buffer.withUnsafeBytes { SolicitationPacket.arpClaim(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if let claim { body(claim, UInt32(interface)) }
        }
        for _ in 0..<limit {
            guard let (count, interface, hopLimit) = receiveAdvertisement(into: &buffer) else { break }
            guard hopLimit == 255, interface > 0 else { continue }
            let claim = buffer.withUnsafeBytes { SolicitationPacket.advertisementClaim(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if let claim { body(claim, interface) }
        }
    }

    /// Throws away what the sockets queued while nobody read them (at most a few thousand
    /// packets): frames from before a solicitation say nothing about its answer.
    func discardPending() {
        var scratch = [UInt8](repeating: 0, count: 64)
        for descriptor in [arpDescriptor, ndpDescriptor] {
            for _ in 0..<4096 {
                let count = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_TRUNC)) }
                if count < 0 { break }
            }
        }
    }

    /// One message from the ICMPv6 socket: its length, the interface it came in on and its hop
    /// limit (from `IPV6_PKTINFO` and `IPV6_HOPLIMIT`; -1 when absent). Nil when none waits.
    private func receiveAdvertisement(into buffer: inout [UInt8]) -> (Int, UInt32, Int32)? {
        var control = [UInt8](repeating: 0, count: 128)
        var source = sockaddr_in6()
        return buffer.withUnsafeMutableBytes { bytes in
            control.withUnsafeMutableBytes { controlBytes in
                withUnsafeMutablePointer(to: &source) { sourcePointer in
                    var vector = iovec(iov_base: bytes.baseAddress, iov_len: bytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(sourcePointer)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let count = recvmsg(ndpDescriptor, &message, Int32(MSG_DONTWAIT))
                        guard count >= 0 else { return nil }
                        var interface: UInt32 = 0
                        var hopLimit: Int32 = -1
                        ControlMessages.forEach(in: message) { level, type, payload in
                            guard level == Int32(IPPROTO_IPV6) else { return }
                            if type == IPV6_PKTINFO, payload.count >= Self.packetInfoSize {
                                interface = payload.loadUnaligned(fromByteOffset: Self.packetInfoInterfaceOffset, as: UInt32.self)
                            } else if type == IPV6_HOPLIMIT, payload.count >= MemoryLayout<Int32>.size {
                                hopLimit = payload.loadUnaligned(as: Int32.self)
                            }
                        }
                        return (count, interface, hopLimit)
                    }
                }
            }
        }
    }

    /// The Ethernet address of `interface`, or nil when it does no ARP/NDP.
    private func ethernetAddress(of interface: UInt32, now: UInt64) -> [UInt8]? {
        if let known = interfaces.withLock({ $0[interface] }), now &- known.readAt < Self.interfaceRefresh {
            return known.mac
        }
        var mac = [UInt8](repeating: 0, count: 6)
        var type: Int32 = 0
        var flags: Int32 = 0
        var usable = cprobe_interface_hardware(Int32(interface), &mac, mac.count, &type, &flags) == 0
        usable = usable && type == Self.ethernetHardware && flags & Int32(IFF_NOARP) == 0 && flags & Int32(IFF_LOOPBACK) == 0
        let result = usable ? mac : nil
        interfaces.withLock { $0[interface] = (result, now) }
        return result
    }
}
