import Glibc
@testable import ProbeCore
import ProbeProtocol
import Testing

/// ``NetlinkAnswer``: assembling the answer to one request from datagrams.
@Suite struct NeighborAnswerTests {
    typealias C = NeighborCaptures

    /// The captured dump's sequence number and port.
    static let dumpSequence: UInt32 = 77
    static let dumpPort: UInt32 = 0x3b60

    /// Feeds `datagrams` to a fresh answer; returns the data messages' parses and the answer.
    static func run(
        _ datagrams: [[UInt8]], sequence: UInt32 = dumpSequence, portID: UInt32 = dumpPort
    ) -> (messages: [NeighborMessage.Parsed], answer: NetlinkAnswer, error: NetlinkError?) {
        var answer = NetlinkAnswer(sequence: sequence, portID: portID)
        var messages: [NeighborMessage.Parsed] = []
        for datagram in datagrams {
            do {
                try datagram.withUnsafeBytes { buffer in
                    try answer.consume(buffer) { header, payload in
                        messages.append(NeighborMessage.parse(type: header.type, payload: payload))
                    }
                }
            } catch let error as NetlinkError {
                return (messages, answer, error)
            } catch {
                Issue.record("unexpected error \(error)")
                return (messages, answer, nil)
            }
            if answer.isComplete { break }
        }
        return (messages, answer, nil)
    }

    static func addresses(_ parsed: [NeighborMessage.Parsed]) -> [String] {
        parsed.compactMap { if case .message(let message) = $0 { "\(message.entry.address)" } else { nil } }
    }

    @Test func aWholeDumpInOneDatagram() {
        let (messages, answer, error) = Self.run([C.dump4])
        #expect(error == nil)
        #expect(answer.isComplete)
        #expect(Self.addresses(messages) == ["198.51.100.20", "198.51.100.77", "198.51.100.78", "0.0.0.0"])
        #expect(answer.summary.messages == 4)
        #expect(answer.summary.datagrams == 1)
        #expect(!answer.summary.interrupted)
    }

    @Test func aDumpOverSeveralDatagrams() {
        let datagrams = [C.reachable4 + C.failed4, C.incomplete4, C.noARP4, C.done]
        let (messages, answer, error) = Self.run(datagrams)
        #expect(error == nil)
        #expect(answer.isComplete)
        #expect(answer.summary.datagrams == 4)
        #expect(Self.addresses(messages) == ["198.51.100.20", "198.51.100.77", "198.51.100.78", "0.0.0.0"])
    }

    @Test func notCompleteWithoutDone() {
        let (messages, answer, error) = Self.run([C.reachable4, C.failed4])
        #expect(error == nil)
        #expect(!answer.isComplete)
        #expect(messages.count == 2)
    }

    @Test func staleMessagesOfAnotherSequenceOrPortAreSkipped() {
        // The whole captured dump, but for another request (sequence 76), then ours.
        let older = Self.rewriteSequences(C.dump4, to: 76)
        let otherPort = Self.rewritePorts(C.reachable4, to: 0x1234)
        let (messages, answer, error) = Self.run([older, otherPort, C.reachable4, C.done])
        #expect(error == nil)
        #expect(answer.isComplete)
        #expect(Self.addresses(messages) == ["198.51.100.20"])
        #expect(answer.summary.stale == 6)
    }

    @Test func theCapturedENOENTError() {
        let (messages, answer, error) = Self.run([C.errorENOENT], sequence: 99, portID: 0x4334)
        #expect(messages.isEmpty)
        #expect(answer.isComplete)
        #expect(error?.code == .kernel)
        #expect(error?.errno == ENOENT)
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func anAcknowledgementEndsTheAnswer() {
        let ack = NetlinkBytes.message(type: Netlink.error, sequence: 5, portID: 9, payload: [0, 0, 0, 0] + [UInt8](repeating: 0, count: 16))
        let (messages, answer, error) = Self.run([ack], sequence: 5, portID: 9)
        #expect(error == nil && messages.isEmpty && answer.isComplete)
    }

    @Test func aTruncatedErrorMessageIsMalformed() {
        let short = NetlinkBytes.message(type: Netlink.error, sequence: 5, portID: 9, payload: [0xFE, 0xFF])
        let (_, answer, error) = Self.run([short], sequence: 5, portID: 9)
        #expect(error?.code == .malformed)
        #expect(answer.isComplete)
    }

    @Test func doneWithAnError() {
        var payload: [UInt8] = []
        NetlinkMessageHeader.appendHostOrder(Int32(-EINTR), to: &payload)
        let done = NetlinkBytes.message(type: Netlink.done, flags: Netlink.multipartFlag, sequence: 77, portID: 0x3b60, payload: payload)
        let (messages, _, error) = Self.run([C.reachable4, done])
        #expect(messages.count == 1)
        #expect(error?.code == .kernel)
        #expect(error?.errno == EINTR)
        // NLMSG_DONE without a payload (old kernels) ends the answer cleanly.
        let bare = NetlinkBytes.message(type: Netlink.done, flags: Netlink.multipartFlag, sequence: 77, portID: 0x3b60)
        let (_, answer, bareError) = Self.run([C.reachable4, bare])
        #expect(bareError == nil && answer.isComplete)
    }

    @Test func anInterruptedDumpIsReported() {
        var interrupted = C.failed4
        interrupted[6] |= UInt8(Netlink.dumpInterruptedFlag & 0xFF)
        let (messages, answer, error) = Self.run([C.reachable4 + interrupted, C.done])
        #expect(error == nil && messages.count == 2)
        #expect(answer.summary.interrupted)
    }

    @Test func aSingleAnswerWithoutMultipartEnds() {
        let (messages, answer, error) = Self.run([C.singleAnswer], sequence: 100, portID: 0x4334)
        #expect(error == nil)
        #expect(answer.isComplete)
        #expect(Self.addresses(messages) == ["198.51.100.20"])
    }

    @Test func noopIsSkipped() {
        let noop = NetlinkBytes.message(type: Netlink.noop, flags: Netlink.multipartFlag, sequence: 77, portID: 0x3b60)
        let (messages, answer, _) = Self.run([noop + C.reachable4 + C.done])
        #expect(messages.count == 1 && answer.summary.skipped == 1 && answer.isComplete)
    }

    @Test func brokenFramingThrowsAfterTheGoodMessages() {
        var broken = C.failed4
        broken[0] = 0xF0  // claims 240 bytes
        let (messages, answer, error) = Self.run([C.reachable4 + broken + C.done])
        #expect(messages.count == 1)
        #expect(error?.code == .malformed)
        #expect(answer.isComplete)
    }

    @Test func messagesAfterTheEndAreNotPassedOn() {
        let (messages, answer, _) = Self.run([C.reachable4 + C.done + C.failed4])
        #expect(messages.count == 1)
        #expect(answer.summary.stale == 1)
    }

    /// Rewrites the sequence number of every message in `datagram`.
    static func rewriteSequences(_ datagram: [UInt8], to sequence: UInt32) -> [UInt8] {
        rewrite(datagram, field: 8, to: sequence)
    }

    /// Rewrites the port of every message in `datagram`.
    static func rewritePorts(_ datagram: [UInt8], to port: UInt32) -> [UInt8] {
        rewrite(datagram, field: 12, to: port)
    }

    private static func rewrite(_ datagram: [UInt8], field: Int, to value: UInt32) -> [UInt8] {
        var bytes = datagram
        var offset = 0
        while offset + 16 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            withUnsafeBytes(of: value) { bytes.replaceSubrange((offset + field)..<(offset + field + 4), with: $0) }
            offset += Netlink.align(length)
        }
        return bytes
    }
}
