package import Glibc
public import ProbeProtocol

/// A minimal ICMP echo socket for lab tests, independent of the engine under test: to check what
/// the lab does (who answers, which route gives which error) and to drive the stray-reply tool.
///
/// It lives in the network namespace of the thread that opens it: use
/// ``open(in:_:_:)`` (or open it inside ``Lab/withNamespace(_:_:)-swift.method``). Blocking,
/// synchronous, for tests only. Not `Sendable`: one owner at a time.
public final class LabPingSocket {
    /// The address family.
    public enum Family: Sendable, Hashable {
        case ipv4, ipv6
    }

    /// The socket kind.
    public enum Kind: Sendable, Hashable {
        /// `SOCK_DGRAM` ping socket: needs `ping_group_range`; the kernel sets the identifier.
        case ping
        /// `SOCK_RAW`: needs CAP_NET_RAW; receives every ICMP message of the family.
        case raw
    }

    /// The file descriptor.
    public let descriptor: Int32
    public let family: Family
    public let kind: Kind

    /// Opens a socket in the current thread's network namespace.
    ///
    /// - Throws: ``LabError`` `.socket` with the ``LabError/systemError`` (EACCES where ping
    ///   sockets are not allowed, EPERM for raw sockets without CAP_NET_RAW).
    public init(_ family: Family, _ kind: Kind) throws {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let type = Int32(kind == .ping ? SOCK_DGRAM.rawValue : SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let proto = family == .ipv4 ? Int32(IPPROTO_ICMP) : Int32(IPPROTO_ICMPV6)
        let descriptor = socket(domain, type, proto)
        guard descriptor >= 0 else {
            let error = errno
            throw LabError(
                .socket, "socket(\(family), \(kind)): \(String(cString: strerror(error)))", systemError: error)
        }
        self.descriptor = descriptor
        self.family = family
        self.kind = kind
    }

    /// Opens a socket inside `namespace`.
    public static func open(in namespace: String, _ family: Family, _ kind: Kind) throws -> LabPingSocket {
        try Lab.withNamespace(namespace) { try LabPingSocket(family, kind) }
    }

    deinit {
        close(descriptor)
    }

    /// Sends one echo request.
    ///
    /// - Parameters:
    ///   - identifier: the ICMP identifier (a ping socket replaces it with its own).
    /// - Returns: 0 when `sendto()` succeeded, else its `errno`.
    public func sendEcho(to address: IPAddress, identifier: UInt16 = 0, sequence: UInt16, payload: [UInt8]) -> Int32 {
        var message: [UInt8] = [family == .ipv4 ? 8 : 128, 0, 0, 0]
        message += [UInt8(identifier >> 8), UInt8(identifier & 0xFF), UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        message += payload
        if family == .ipv4 && kind == .raw {
            let sum = Self.checksum(message)
            message[2] = UInt8(sum >> 8)
            message[3] = UInt8(sum & 0xFF)
        }
        let sent = Self.withSocketAddress(address) { pointer, length in
            sendto(descriptor, message, message.count, 0, pointer, length)
        }
        return sent < 0 ? errno : 0
    }

    /// Waits up to `timeout` for the next echo reply (other ICMP messages are skipped).
    ///
    /// - Returns: the reply, or `nil` when none came in time.
    public func receiveEchoReply(timeout: Duration) throws -> LabEchoReply? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, ChildProcess.pollTimeout(remaining))
            if ready < 0 && errno != EINTR {
                throw LabError(.socket, "poll: \(String(cString: strerror(errno)))", systemError: errno)
            }
            guard ready > 0 else { continue }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length)
                }
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw LabError(.socket, "recvfrom: \(String(cString: strerror(errno)))", systemError: errno)
            }
            var message = buffer[0..<count]
            if family == .ipv4 && kind == .raw {
                // A raw IPv4 socket delivers the IP header too.
                guard let first = message.first else { continue }
                message = message.dropFirst(Int(first & 0x0F) * 4)
            }
            let replyType: UInt8 = family == .ipv4 ? 0 : 129
            guard message.count >= 8, message[message.startIndex] == replyType else { continue }
            let bytes = Array(message)
            return LabEchoReply(
                source: Self.address(of: storage),
                identifier: UInt16(bytes[4]) << 8 | UInt16(bytes[5]),
                sequence: UInt16(bytes[6]) << 8 | UInt16(bytes[7]),
                payload: Array(bytes[8...]))
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Calls `body` with a socket address for `address` (its zone as the scope) and `port`.
    package static func withSocketAddress<R>(
        _ address: IPAddress,
        port: UInt16 = 0,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R {
        switch address {
        case .v4(let ipv4):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            socketAddress.sin_addr.s_addr = ipv4.value.bigEndian
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let ipv6):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { $0.copyBytes(from: ipv6.bytes) }
            if let zone = ipv6.zone { socketAddress.sin6_scope_id = if_nametoindex(zone) }
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    static func address(of storage: sockaddr_storage) -> IPAddress {
        var storage = storage
        if storage.ss_family == sa_family_t(AF_INET) {
            let value = withUnsafeBytes(of: &storage) { $0.load(fromByteOffset: 4, as: UInt32.self) }
            return .v4(IPv4Address(UInt32(bigEndian: value)))
        }
        let bytes = withUnsafeBytes(of: &storage) { Array($0[8..<24]) }
        return .v6(IPv6Address(bytes: bytes))
    }
}

/// An echo reply received by a ``LabPingSocket``.
public struct LabEchoReply: Sendable, Hashable {
    /// Where it came from.
    public var source: IPAddress
    /// Its ICMP identifier (for a ping socket, the socket's own).
    public var identifier: UInt16
    /// Its sequence number.
    public var sequence: UInt16
    /// The bytes after the ICMP header.
    public var payload: [UInt8]
}
