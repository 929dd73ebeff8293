/// The ICMP echo messages that the engine sends and the replies and errors it reads back.
///
/// Every echo carries a 16-byte payload: an 8-byte random token that belongs to one probe, then the
/// monotonic send time in nanoseconds. A reply counts only if its sequence number, token and source
/// address all match a live probe; the send time gives the round-trip time of the echo it answers.
package enum EchoPacket {
    /// Bytes of the ICMP echo header.
    package static let headerLength = 8
    /// Bytes of the payload (token + send time).
    package static let payloadLength = 16
    /// A full echo request.
    package static let length = headerLength + payloadLength

    package static let echoRequestV4: UInt8 = 8
    package static let echoReplyV4: UInt8 = 0
    package static let unreachableV4: UInt8 = 3
    package static let echoRequestV6: UInt8 = 128
    package static let echoReplyV6: UInt8 = 129
    package static let unreachableV6: UInt8 = 1

    /// One echo request or reply, as matched by the engine.
    package struct Echo: Hashable, Sendable {
        package var identifier: UInt16
        package var sequence: UInt16
        package var token: UInt64
        package var sentAt: UInt64

        package init(identifier: UInt16, sequence: UInt16, token: UInt64, sentAt: UInt64) {
            self.identifier = identifier
            self.sequence = sequence
            self.token = token
            self.sentAt = sentAt
        }
    }

    /// Writes an echo request into `buffer` (at least ``length`` bytes) and returns its length.
    ///
    /// The checksum is always computed: raw IPv4 sockets need it; ping sockets and ICMPv6 sockets
    /// overwrite it with their own, which costs nothing.
    package static func encodeRequest(_ echo: Echo, family: EchoFamily, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= length)
        buffer[0] = family == .ipv4 ? echoRequestV4 : echoRequestV6
        buffer[1] = 0
        buffer[2] = 0
        buffer[3] = 0
        store(echo.identifier, at: 4, in: buffer)
        store(echo.sequence, at: 6, in: buffer)
        store(echo.token, at: 8, in: buffer)
        store(echo.sentAt, at: 16, in: buffer)
        if family == .ipv4 {
            let sum = checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
            store(sum, at: 2, in: buffer)
        }
        return length
    }

    /// An echo request as bytes (tests and tools).
    package static func request(_ echo: Echo, family: EchoFamily) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        _ = bytes.withUnsafeMutableBytes { encodeRequest(echo, family: family, into: $0) }
        return bytes
    }

    /// What an ICMP message read from an echo socket is.
    package enum Message: Hashable, Sendable {
        case reply(Echo)
        /// Destination unreachable, quoting our own echo request (sequence, and token when quoted).
        case unreachable(quotedDestination: QuotedDestination?, identifier: UInt16, sequence: UInt16, token: UInt64?)
        case other
    }

    /// The destination of the datagram quoted in an ICMPv4 error (raw sockets only).
    package enum QuotedDestination: Hashable, Sendable {
        case v4(UInt32)
        case v6(high: UInt64, low: UInt64)
    }

    /// Parses an ICMP message as a ping socket or raw ICMPv6 socket delivers it (no IP header).
    package static func parse(_ bytes: UnsafeRawBufferPointer, family: EchoFamily) -> Message {
        guard bytes.count >= headerLength else { return .other }
        let type = bytes[0]
        switch (family, type) {
        case (.ipv4, echoReplyV4), (.ipv6, echoReplyV6):
            guard bytes.count >= length, bytes[1] == 0 else { return .other }
            return .reply(
                Echo(
                    identifier: load(UInt16.self, at: 4, in: bytes),
                    sequence: load(UInt16.self, at: 6, in: bytes),
                    token: load(UInt64.self, at: 8, in: bytes),
                    sentAt: load(UInt64.self, at: 16, in: bytes)
                )
            )
        case (.ipv4, unreachableV4):
            // type, code, checksum, unused(4), then the original IPv4 header and at least 8 bytes of ICMP.
            let inner = UnsafeRawBufferPointer(rebasing: bytes[headerLength...])
            guard let (ipHeaderLength, destination) = parseIPv4Header(inner) else { return .other }
            return quotedEcho(
                UnsafeRawBufferPointer(rebasing: inner[ipHeaderLength...]),
                destination: .v4(destination),
                expectedType: echoRequestV4
            )
        case (.ipv6, unreachableV6):
            // type, code, checksum, unused(4), then the original IPv6 header (40 bytes) and the ICMPv6 echo.
            let inner = UnsafeRawBufferPointer(rebasing: bytes[headerLength...])
            guard inner.count >= 40 + headerLength, inner[0] >> 4 == 6, inner[6] == 58 else { return .other }
            let destination = QuotedDestination.v6(
                high: load(UInt64.self, at: 24, in: inner),
                low: load(UInt64.self, at: 32, in: inner)
            )
            return quotedEcho(UnsafeRawBufferPointer(rebasing: inner[40...]), destination: destination, expectedType: echoRequestV6)
        default:
            return .other
        }
    }

    /// Parses what a raw IPv4 ICMP socket delivers: the IPv4 header, then the ICMP message.
    package static func parseRawIPv4(_ bytes: UnsafeRawBufferPointer) -> Message {
        guard let (ipHeaderLength, _) = parseIPv4Header(bytes), bytes[9] == 1 else { return .other }
        return parse(UnsafeRawBufferPointer(rebasing: bytes[ipHeaderLength...]), family: .ipv4)
    }

    /// Parses the echo request that a ping socket's error queue returns with an ICMP error.
    package static func parseQuotedRequest(_ bytes: UnsafeRawBufferPointer, family: EchoFamily) -> Message {
        quotedEcho(bytes, destination: nil, expectedType: family == .ipv4 ? echoRequestV4 : echoRequestV6)
    }

    private static func quotedEcho(_ bytes: UnsafeRawBufferPointer, destination: QuotedDestination?, expectedType: UInt8) -> Message {
        guard bytes.count >= headerLength, bytes[0] == expectedType else { return .other }
        let token: UInt64? = bytes.count >= headerLength + 8 ? load(UInt64.self, at: 8, in: bytes) : nil
        return .unreachable(
            quotedDestination: destination,
            identifier: load(UInt16.self, at: 4, in: bytes),
            sequence: load(UInt16.self, at: 6, in: bytes),
            token: token
        )
    }

    /// The header length and destination of an IPv4 header carrying ICMP, or nil when it is not one.
    private static func parseIPv4Header(_ bytes: UnsafeRawBufferPointer) -> (Int, UInt32)? {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return nil }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        guard headerLength >= 20, bytes.count >= headerLength, bytes[9] == 1 else { return nil }
        return (headerLength, load(UInt32.self, at: 16, in: bytes))
    }

    /// The Internet checksum (RFC 1071) of `bytes`.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    @inline(__always)
    private static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }

    @inline(__always)
    private static func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, in buffer: UnsafeRawBufferPointer) -> T {
        T(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// The two ICMP families the engine speaks.
package enum EchoFamily: Int, Sendable, Hashable, CaseIterable {
    case ipv4 = 0
    case ipv6 = 1
}
