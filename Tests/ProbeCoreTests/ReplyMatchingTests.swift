import ProbeProtocol
import Testing

@testable import ProbeCore

/// Which echo replies a probe accepts: sequence and token, source, and the raw socket's identifier.
@Suite struct ReplyMatchingTests {
    let target = EchoTarget(.v4(IPv4Address(198, 51, 100, 77)))!
    let record: ProbeRecord

    init() {
        record = ProbeRecord(
            id: 1, address: .v4(IPv4Address(198, 51, 100, 77)), target: target, sequence: 4711,
            token: 0xDEAD_BEEF_0BAD_F00D, startedAt: 0, deadline: 300_000_000,
            attempts: 2, background: false)
    }

    func echo(identifier: UInt16 = 9, sequence: UInt16 = 4711, token: UInt64 = 0xDEAD_BEEF_0BAD_F00D) -> EchoPacket.Echo {
        EchoPacket.Echo(identifier: identifier, sequence: sequence, token: token, sentAt: 0)
    }

    @Test func theProbesOwnReplyMatches() {
        #expect(record.accepts(echo(), from: target, socketKind: .dgram, socketIdentifier: 0))
        #expect(record.accepts(echo(identifier: 9), from: target, socketKind: .raw, socketIdentifier: 9))
    }

    @Test func aWrongTokenIsRejected() {
        #expect(!record.accepts(echo(token: 0xDEAD_BEEF_0BAD_F00C), from: target, socketKind: .dgram, socketIdentifier: 0))
        #expect(!record.accepts(echo(token: 0), from: target, socketKind: .raw, socketIdentifier: 9))
    }

    @Test func anotherSequenceIsRejected() {
        #expect(!record.accepts(echo(sequence: 4712), from: target, socketKind: .dgram, socketIdentifier: 0))
    }

    @Test func anotherSourceIsRejected() {
        let other = EchoTarget(.v4(IPv4Address(198, 51, 100, 78)))!
        #expect(!record.accepts(echo(), from: other, socketKind: .dgram, socketIdentifier: 0))
        #expect(!record.accepts(echo(), from: nil, socketKind: .dgram, socketIdentifier: 0))
        let v6 = EchoTarget(family: .ipv6, high: 0, low: UInt64(0xC633_644D), scopeID: 0)
        #expect(!record.accepts(echo(), from: v6, socketKind: .dgram, socketIdentifier: 0))
    }

    @Test func onARawSocketOnlyOurIdentifierCounts() {
        #expect(!record.accepts(echo(identifier: 10), from: target, socketKind: .raw, socketIdentifier: 9))
        // A ping socket's kernel rewrote the identifier and filtered by it already.
        #expect(record.accepts(echo(identifier: 10), from: target, socketKind: .dgram, socketIdentifier: 0))
    }

    @Test func linkLocalTargetsNeedTheirInterface() {
        let linkLocal = EchoTarget(family: .ipv6, high: 0xFE80_0000_0000_0000, low: 0x14, scopeID: 3)
        let record = ProbeRecord(
            id: 2, address: .v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: 0x14, zone: "3")), target: linkLocal,
            sequence: 1, token: 7, startedAt: 0, deadline: 1, attempts: 1, background: false)
        let reply = EchoPacket.Echo(identifier: 0, sequence: 1, token: 7, sentAt: 0)
        #expect(record.accepts(reply, from: linkLocal, socketKind: .dgram, socketIdentifier: 0))
        let otherInterface = EchoTarget(family: .ipv6, high: 0xFE80_0000_0000_0000, low: 0x14, scopeID: 4)
        #expect(!record.accepts(reply, from: otherInterface, socketKind: .dgram, socketIdentifier: 0))
    }
}
