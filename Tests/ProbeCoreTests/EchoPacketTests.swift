import Testing

@testable import ProbeCore

@Suite struct EchoPacketTests {
    let echo = EchoPacket.Echo(identifier: 0x1234, sequence: 0xBEEF, token: 0x0102_0304_0506_0708, sentAt: 0x1122_3344_5566_7788)

    @Test func ipv4RequestLayoutAndChecksum() {
        let bytes = EchoPacket.request(echo, family: .ipv4)
        #expect(bytes.count == 24)
        #expect(Array(bytes[0..<2]) == [8, 0])
        #expect(Array(bytes[4..<8]) == [0x12, 0x34, 0xBE, 0xEF])
        #expect(Array(bytes[8..<16]) == [1, 2, 3, 4, 5, 6, 7, 8])
        // A correct Internet checksum makes the whole message sum to zero.
        #expect(bytes.withUnsafeBytes { EchoPacket.checksum($0) } == 0)
    }

    @Test func checksumKnownVector() {
        // RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, whose complement is 0x220d.
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(bytes.withUnsafeBytes { EchoPacket.checksum($0) } == 0x220D)
        // Odd length pads with a zero byte.
        let odd: [UInt8] = [0x01]
        #expect(odd.withUnsafeBytes { EchoPacket.checksum($0) } == ~UInt16(0x0100))
    }

    @Test func ipv6RequestLeavesChecksumToKernel() {
        let bytes = EchoPacket.request(echo, family: .ipv6)
        #expect(bytes[0] == 128)
        #expect(bytes[2] == 0 && bytes[3] == 0)
    }

    @Test(arguments: EchoFamily.allCases)
    func replyRoundTrip(family: EchoFamily) {
        var bytes = EchoPacket.request(echo, family: family)
        bytes[0] = family == .ipv4 ? 0 : 129
        let parsed = bytes.withUnsafeBytes { EchoPacket.parse($0, family: family) }
        #expect(parsed == .reply(echo))
    }

    @Test func requestIsNotAReply() {
        let bytes = EchoPacket.request(echo, family: .ipv4)
        #expect(bytes.withUnsafeBytes { EchoPacket.parse($0, family: .ipv4) } == .other)
    }

    @Test func malformedRepliesAreIgnored() {
        var short = EchoPacket.request(echo, family: .ipv4)
        short[0] = 0
        let truncated = Array(short[0..<20])
        #expect(truncated.withUnsafeBytes { EchoPacket.parse($0, family: .ipv4) } == .other)
        var badCode = short
        badCode[1] = 1
        #expect(badCode.withUnsafeBytes { EchoPacket.parse($0, family: .ipv4) } == .other)
        #expect([UInt8]().withUnsafeBytes { EchoPacket.parse($0, family: .ipv6) } == .other)
    }

    @Test func rawIPv4ReplyStripsHeader() {
        var icmp = EchoPacket.request(echo, family: .ipv4)
        icmp[0] = 0
        // A 24-byte IPv4 header (IHL 6, with options) from 198.51.100.10 to 198.51.100.1, protocol ICMP.
        var header: [UInt8] = [0x46, 0, 0, 48, 0, 0, 0, 0, 64, 1, 0, 0, 198, 51, 100, 10, 198, 51, 100, 1, 1, 1, 1, 1]
        header += icmp
        #expect(header.withUnsafeBytes { EchoPacket.parseRawIPv4($0) } == .reply(echo))
        header[9] = 17  // UDP: not ours
        #expect(header.withUnsafeBytes { EchoPacket.parseRawIPv4($0) } == .other)
    }

    @Test func ipv4UnreachableQuotesTheEcho() {
        let request = EchoPacket.request(echo, family: .ipv4)
        let inner: [UInt8] = [0x45, 0, 0, 44, 0, 0, 0, 0, 64, 1, 0, 0, 198, 51, 100, 1, 203, 0, 113, 5]
        let message: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + inner + request
        let parsed = message.withUnsafeBytes { EchoPacket.parse($0, family: .ipv4) }
        #expect(parsed == .unreachable(quotedDestination: .v4(0xCB00_7105), identifier: 0x1234, sequence: 0xBEEF, token: echo.token))
        // Only the first 8 bytes quoted (RFC 792 minimum): no token, still matched by sequence.
        let minimal: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + inner + Array(request[0..<8])
        let short = minimal.withUnsafeBytes { EchoPacket.parse($0, family: .ipv4) }
        #expect(short == .unreachable(quotedDestination: .v4(0xCB00_7105), identifier: 0x1234, sequence: 0xBEEF, token: nil))
    }

    @Test func ipv6UnreachableQuotesTheEcho() {
        let request = EchoPacket.request(echo, family: .ipv6)
        var inner = [UInt8](repeating: 0, count: 40)
        inner[0] = 0x60
        inner[6] = 58  // next header: ICMPv6
        let destination: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]
        inner.replaceSubrange(24..<40, with: destination)
        let message: [UInt8] = [1, 3, 0, 0, 0, 0, 0, 0] + inner + request
        let parsed = message.withUnsafeBytes { EchoPacket.parse($0, family: .ipv6) }
        #expect(parsed == .unreachable(quotedDestination: .v6(high: 0x2001_0DB8_0200_0000, low: 5), identifier: 0x1234, sequence: 0xBEEF, token: echo.token))
    }

    @Test func errorQueueQuote() {
        let request = EchoPacket.request(echo, family: .ipv4)
        let parsed = request.withUnsafeBytes { EchoPacket.parseQuotedRequest($0, family: .ipv4) }
        #expect(parsed == .unreachable(quotedDestination: nil, identifier: 0x1234, sequence: 0xBEEF, token: echo.token))
    }
}
