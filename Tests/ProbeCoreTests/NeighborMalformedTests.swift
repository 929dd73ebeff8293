@testable import ProbeCore
import ProbeProtocol
import Testing

/// Malformed and truncated input: never a crash or a read out of bounds; the message is skipped
/// with a reason.
@Suite struct NeighborMalformedTests {
    typealias B = NetlinkBytes

    static let destination = B.attribute(Netlink.neighborDestination, [198, 51, 100, 20])

    static func isMalformed(_ bytes: [UInt8]) -> Bool {
        if case .malformed = NeighborMessage.parse(messageBytes: bytes) { return true }
        return false
    }

    static func malformation(_ datagram: [UInt8]) -> NetlinkParser.Malformation? {
        datagram.withUnsafeBytes { NetlinkParser.forEachMessage(in: $0) { _, _ in } }
    }

    // MARK: Message framing

    @Test func messageLengthBelowTheHeader() {
        for length: UInt32 in [0, 1, 15] {
            let bytes = B.message(type: Netlink.newNeighbor, length: length, payload: [UInt8](repeating: 0, count: 16))
            let malformation = Self.malformation(bytes)
            #expect(malformation?.offset == 0)
            #expect(malformation?.reason.contains("below the header") == true, "\(String(describing: malformation))")
        }
    }

    @Test func messageLengthPastTheDatagram() {
        var bytes = NeighborCaptures.reachable4
        bytes[0] = 0x50  // 80 bytes claimed, 76 present
        #expect(Self.malformation(bytes)?.reason.contains("runs past") == true)
        #expect(Self.isMalformed(bytes))
        bytes[0] = 0xFF
        bytes[1] = 0xFF
        bytes[2] = 0xFF
        bytes[3] = 0xFF  // 4 GiB
        #expect(Self.malformation(bytes)?.reason.contains("runs past") == true)
    }

    @Test func trailingBytesTooFewForAHeader() {
        let bytes = NeighborCaptures.reachable4 + [0, 0, 0, 0, 0, 0, 0, 0]
        var delivered = 0
        let malformation = bytes.withUnsafeBytes { NetlinkParser.forEachMessage(in: $0) { _, _ in delivered += 1 } }
        #expect(delivered == 1, "the good message before the break is delivered")
        #expect(malformation?.offset == 76)
    }

    @Test func aMissingFinalPaddingIsAccepted() {
        // 10 bytes of attribute value: the message ends 2 bytes short of alignment.
        let bytes = B.message(type: 100, payload: [UInt8](repeating: 7, count: 10), pad: false)
        #expect(bytes.count == 26)
        var payloads: [[UInt8]] = []
        let malformation = bytes.withUnsafeBytes { NetlinkParser.forEachMessage(in: $0) { _, payload in payloads.append(Array(payload)) } }
        #expect(malformation == nil)
        #expect(payloads == [[UInt8](repeating: 7, count: 10)])
    }

    @Test func emptyDatagram() {
        #expect(Self.malformation([]) == nil)
    }

    // MARK: ndmsg

    @Test func payloadTooShortForNdmsg() {
        for length in [0, 1, 11] {
            #expect(Self.isMalformed(B.message(type: Netlink.newNeighbor, payload: [UInt8](repeating: 2, count: length))))
        }
    }

    // MARK: Attributes

    @Test func attributeLengthPastTheEnd() {
        let bytes = B.neighbor4(attributes: Self.destination + B.attribute(Netlink.neighborLinkLayerAddress, [2, 0, 0, 0, 0, 0x14], length: 200))
        #expect(Self.isMalformed(bytes))
    }

    @Test func attributeLengthBelowItsHeader() {
        for length: UInt16 in [0, 1, 3] {
            let bytes = B.neighbor4(attributes: Self.destination + B.attribute(Netlink.neighborLinkLayerAddress, [2, 0, 0, 0], length: length))
            #expect(Self.isMalformed(bytes), "rta_len \(length)")
        }
    }

    @Test func trailingBytesAfterTheAttributes() {
        // The message frames 2 bytes after the last attribute: too few for another.
        let bytes = B.message(
            type: Netlink.newNeighbor, payload: B.neighborHeader(family: Netlink.familyIPv4) + Self.destination + [0, 0], pad: false)
        #expect(Self.isMalformed(bytes))
    }

    @Test func zeroLengthAttributes() throws {
        // An empty unknown attribute and an empty NDA_LLADDR are fine: no link-layer address.
        let fine = B.neighbor4(attributes: B.attribute(42, []) + Self.destination + B.attribute(Netlink.neighborLinkLayerAddress, []))
        guard case .message(let message) = NeighborMessage.parse(messageBytes: fine) else {
            Issue.record("\(NeighborMessage.parse(messageBytes: fine))")
            return
        }
        #expect(message.entry.linkLayerAddress == nil)
        // An empty NDA_DST or NDA_CACHEINFO is not.
        #expect(Self.isMalformed(B.neighbor4(attributes: B.attribute(Netlink.neighborDestination, []))))
        #expect(Self.isMalformed(B.neighbor4(attributes: Self.destination + B.attribute(Netlink.neighborCacheInfo, []))))
    }

    @Test func destinationMissingOrOfTheWrongSize() {
        #expect(Self.isMalformed(B.neighbor4(attributes: [])))
        #expect(Self.isMalformed(B.neighbor4(attributes: B.attribute(Netlink.neighborLinkLayerAddress, [2, 0, 0, 0, 0, 0x14]))))
        #expect(Self.isMalformed(B.neighbor4(attributes: B.attribute(Netlink.neighborDestination, [198, 51, 100]))))
        #expect(Self.isMalformed(B.neighbor4(attributes: B.attribute(Netlink.neighborDestination, [UInt8](repeating: 1, count: 16)))))
        // An IPv6 ndmsg with a 4-byte NDA_DST: the family and the attribute disagree.
        let wrongFamily = B.message(
            type: Netlink.newNeighbor, payload: B.neighborHeader(family: Netlink.familyIPv6) + Self.destination)
        #expect(Self.isMalformed(wrongFamily))
    }

    @Test func cacheInfoTooShort() {
        let short = B.attribute(Netlink.neighborCacheInfo, [UInt8](repeating: 0, count: 12))
        #expect(Self.isMalformed(B.neighbor4(attributes: Self.destination + short)))
        // Longer is fine (future fields).
        let long = B.attribute(Netlink.neighborCacheInfo, B.cacheInfo(confirmed: 5, used: 6, updated: 7) + [0, 0, 0, 0])
        guard case .message(let message) = NeighborMessage.parse(messageBytes: B.neighbor4(attributes: Self.destination + long)) else {
            Issue.record("a longer NDA_CACHEINFO was refused")
            return
        }
        #expect(message.entry.confirmedAgo == .milliseconds(50))
        #expect(message.entry.usedAgo == .milliseconds(60))
        #expect(message.entry.updatedAgo == .milliseconds(70))
    }

    @Test func largestCacheInfoTimes() throws {
        let cacheInfo = B.attribute(Netlink.neighborCacheInfo, B.cacheInfo(confirmed: .max, used: 0, updated: 0))
        guard case .message(let message) = NeighborMessage.parse(messageBytes: B.neighbor4(attributes: Self.destination + cacheInfo)) else {
            Issue.record("not parsed")
            return
        }
        #expect(message.entry.confirmedAgo == .milliseconds(Int64(UInt32.max) * 10))
    }

    // MARK: Exhaustive damage to real captures

    @Test("every truncation of a capture is handled", arguments: NeighborCaptures.allMessages)
    func everyTruncation(capture: [UInt8]) {
        // Where the capture's attributes end (with and without their padding), and where NDA_DST ends.
        var cuts: Set<Int> = []
        var destinationEnd = Int.max
        var offset = 16 + Netlink.neighborHeaderSize
        while offset + 4 <= capture.count {
            let length = Int(capture[offset]) | Int(capture[offset + 1]) << 8
            if Int(capture[offset + 2]) | Int(capture[offset + 3]) << 8 == Int(Netlink.neighborDestination) {
                destinationEnd = offset + length
            }
            // A cut inside the padding after a value loses nothing.
            cuts.formUnion((offset + length)...(offset + Netlink.align(length)))
            offset += Netlink.align(length)
        }
        for length in 0..<capture.count {
            let prefix = Array(capture[0..<length])
            // Framed by its own length field, a cut message runs past the end.
            if length > 0 { #expect(Self.isMalformed(prefix), "cut at \(length)") }
            // With nlmsg_len set to the cut: a message only when cut between attributes after NDA_DST.
            guard length >= 4 else { continue }
            var fixed = prefix
            withUnsafeBytes(of: UInt32(length)) { fixed.replaceSubrange(0..<4, with: $0) }
            let parsed = NeighborMessage.parse(messageBytes: fixed)
            if cuts.contains(length) && length >= destinationEnd {
                guard case .message = parsed else {
                    Issue.record("cut at \(length) between attributes: \(parsed)")
                    continue
                }
            } else {
                #expect(Self.isMalformed(fixed), "cut at \(length): \(parsed)")
            }
        }
    }

    @Test("random damage never crashes", arguments: NeighborCaptures.allMessages)
    func randomDamage(capture: [UInt8]) {
        var generator = SeededGenerator(seed: UInt64(capture.count) &* 0x9E37_79B9)
        for _ in 0..<2000 {
            var bytes = capture
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = NeighborMessage.parse(messageBytes: bytes)
            _ = bytes.withUnsafeBytes { datagram in
                NetlinkParser.forEachMessage(in: datagram) { header, payload in
                    _ = NeighborMessage.parse(type: header.type, payload: payload)
                }
            }
        }
    }
}
