import CProbeSys
import Glibc

/// One ICMP socket of one family, shared by every probe of that family.
///
/// It is a kernel ping socket (`SOCK_DGRAM`, `IPPROTO_ICMP`/`IPPROTO_ICMPV6`) when the process's
/// group is inside `net.ipv4.ping_group_range`, and a raw socket otherwise (needs CAP_NET_RAW).
/// Only the engine's loop thread sends and receives on it; it is not `Sendable` on purpose.
package final class EchoSocket {
    /// The kind of socket the kernel gave us.
    package enum Kind: String, Sendable {
        case dgram
        case raw
    }

    package let family: EchoFamily
    package let kind: Kind
    package let descriptor: Int32
    /// The ICMP identifier the engine writes. On a ping socket the kernel replaces it with the
    /// socket's own, so it is not checked there; on a raw socket only replies with it are accepted.
    package let identifier: UInt16
    /// The receive buffer the kernel granted, in bytes.
    package private(set) var receiveBufferBytes: Int
    /// The send buffer the kernel granted, in bytes.
    package private(set) var sendBufferBytes: Int = 0

    /// Wraps `descriptor`, which the socket now owns (``open(family:receiveBufferBytes:preferRaw:)``
    /// opens and configures it). The engine's unit tests pass -1: a socket that is never used.
    init(family: EchoFamily, kind: Kind, descriptor: Int32, identifier: UInt16) {
        self.family = family
        self.kind = kind
        self.descriptor = descriptor
        self.identifier = identifier
        self.receiveBufferBytes = 0
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Opens the socket of `family`: a ping socket, else a raw socket.
    ///
    /// - Parameters:
    ///   - family: IPv4 or IPv6.
    ///   - receiveBufferBytes: the receive buffer to ask for (raised past `rmem_max` when privileged).
    ///   - preferRaw: skip the ping socket (tests of the raw path).
    package static func open(family: EchoFamily, receiveBufferBytes: Int, preferRaw: Bool = false) throws(EchoSocketError) -> EchoSocket {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let proto = family == .ipv4 ? Int32(IPPROTO_ICMP) : Int32(IPPROTO_ICMPV6)
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        var socketError: Int32 = 0
        if !preferRaw {
            let fd = socket(domain, Int32(SOCK_DGRAM.rawValue) | flags, proto)
            if fd >= 0 {
                let socket = EchoSocket(family: family, kind: .dgram, descriptor: fd, identifier: 0)
                try socket.configure(receiveBufferBytes: receiveBufferBytes)
                return socket
            }
            socketError = errno
            if socketError == EAFNOSUPPORT || socketError == EPROTONOSUPPORT {
                throw EchoSocketError(code: .unsupported, family: family, message: "\(family) is not supported by this kernel (\(describe(errno: socketError)))", errno: socketError)
            }
        }
        let fd = socket(domain, Int32(SOCK_RAW.rawValue) | flags, proto)
        guard fd >= 0 else {
            let rawError = errno
            if rawError == EPERM || rawError == EACCES {
                throw EchoSocketError.noPermission(family, groupID: UInt32(getegid()))
            }
            if rawError == EAFNOSUPPORT || rawError == EPROTONOSUPPORT {
                throw EchoSocketError(code: .unsupported, family: family, message: "\(family) is not supported by this kernel (\(describe(errno: rawError)))", errno: rawError)
            }
            throw EchoSocketError(code: .system, family: family, message: "cannot open a raw \(family) ICMP socket: \(describe(errno: rawError))", errno: rawError)
        }
        let socket = EchoSocket(family: family, kind: .raw, descriptor: fd, identifier: UInt16.random(in: 1...UInt16.max))
        try socket.configure(receiveBufferBytes: receiveBufferBytes)
        return socket
    }

    private func configure(receiveBufferBytes: Int) throws(EchoSocketError) {
        // A burst of replies needs a buffer of MiBs; SO_RCVBUFFORCE passes rmem_max when privileged.
        var size = Int32(clamping: receiveBufferBytes)
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var granted: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &granted, &length) == 0 {
            self.receiveBufferBytes = Int(granted) / 2  // the kernel reports double what it accounts
        }
        // Echoes to on-link targets wait in the send buffer while ARP/NDP resolves them (up to
        // ~3 s for a silent address): a full buffer would stall every send (EAGAIN) behind them.
        if setsockopt(descriptor, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &granted, &length) == 0 {
            self.sendBufferBytes = Int(granted) / 2
        }
        // Count datagrams the kernel drops for lack of buffer space (a control message on each read).
        try set(SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL")
        if family == .ipv4 {
            // Don't Fragment on our 44-byte echoes (they never need fragmenting): the kernel then
            // leaves the IP identification 0 instead of drawing one from its shared generator for
            // every packet, a few per cent of the cost of each send.
            var discovery = Int32(IP_PMTUDISC_DO)
            _ = setsockopt(descriptor, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &discovery, socklen_t(MemoryLayout<Int32>.size))
        }
        switch (family, kind) {
        case (.ipv4, .dgram):
            // ICMP errors for our echoes arrive on the error queue, with the echo they quote.
            try set(Int32(IPPROTO_IP), IP_RECVERR, 1, "IP_RECVERR")
        case (.ipv6, .dgram):
            try set(Int32(IPPROTO_IPV6), IPV6_RECVERR, 1, "IPV6_RECVERR")
        case (.ipv4, .raw):
            // Block every ICMP type but echo reply (0) and destination unreachable (3).
            var blocked: UInt32 = ~((1 << 0) | (1 << 3))
            if setsockopt(descriptor, Int32(SOL_RAW), ICMP_FILTER, &blocked, socklen_t(MemoryLayout<UInt32>.size)) != 0 {
                throw systemError("ICMP_FILTER")
            }
        case (.ipv6, .raw):
            var filter = icmp6_filter()
            var passed: [UInt8] = [EchoPacket.echoReplyV6, EchoPacket.unreachableV6]
            cprobe_icmp6_filter_pass_only(&filter, &passed, Int32(passed.count))
            if setsockopt(descriptor, Int32(IPPROTO_ICMPV6), ICMP6_FILTER, &filter, socklen_t(MemoryLayout<icmp6_filter>.size)) != 0 {
                throw systemError("ICMP6_FILTER")
            }
        }
    }

    private func set(_ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(EchoSocketError) {
        var value = value
        if setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw systemError(label)
        }
    }

    private func systemError(_ label: String) -> EchoSocketError {
        let code = errno
        return EchoSocketError(code: .system, family: family, message: "setsockopt(\(label)) on the \(family) ICMP socket failed: \(Self.describe(errno: code))", errno: code)
    }

    /// A short, human description of an errno (`strerror`, lower-cased as reasons are on the wire).
    package static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        let message = String(cString: text)
        guard let first = message.first else { return "errno \(code)" }
        return first.lowercased() + message.dropFirst()
    }
}

@available(*, unavailable)
extension EchoSocket: Sendable {}
