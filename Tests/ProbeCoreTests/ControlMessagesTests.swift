import Testing

@testable import ProbeCore

/// The walk over received control messages hands out payloads bounded by `cmsg_len` and by the
/// buffer, whatever the headers claim (issue: check `cmsg_len` before reading a payload).
@Suite struct ControlMessagesTests {
    /// A control message as the kernel writes it: `cmsg_len` (size_t), level, type, payload, padding.
    static func message(length: Int? = nil, level: Int32, type: Int32, payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: length ?? (ControlMessages.headerSize + payload.count)) { bytes += $0 }
        withUnsafeBytes(of: level) { bytes += $0 }
        withUnsafeBytes(of: type) { bytes += $0 }
        bytes += payload
        while bytes.count % MemoryLayout<Int>.size != 0 { bytes.append(0) }
        return bytes
    }

    static func walk(_ bytes: [UInt8]) -> [(level: Int32, type: Int32, payload: [UInt8])] {
        var found: [(Int32, Int32, [UInt8])] = []
        bytes.withUnsafeBytes { buffer in
            ControlMessages.forEach(in: buffer) { level, type, payload in found.append((level, type, Array(payload))) }
        }
        return found
    }

    @Test func walksEveryMessageWithItsPayload() {
        let error = [UInt8](repeating: 7, count: 16) + [UInt8](repeating: 9, count: 16)
        let bytes = Self.message(level: 0, type: 11, payload: error) + Self.message(level: 1, type: 40, payload: [3, 0, 0, 0])
        let found = Self.walk(bytes)
        #expect(found.count == 2)
        #expect(found.first?.level == 0 && found.first?.type == 11 && found.first?.payload == error)
        #expect(found.last?.level == 1 && found.last?.type == 40 && found.last?.payload == [3, 0, 0, 0])
    }

    /// An IP_RECVERR whose cmsg_len leaves 4 payload bytes: the reader sees 4, not the 16 of a
    /// `sock_extended_err` (CMSG_DATA would have let it read 12 bytes past the message).
    @Test func aShortCmsgLenShortensThePayload() {
        let bytes = Self.message(length: ControlMessages.headerSize + 4, level: 0, type: 11, payload: [UInt8](repeating: 1, count: 16))
        let found = Self.walk(bytes)
        #expect(found.count == 1)
        #expect(found.first?.payload.count == 4)
    }

    @Test(arguments: [0, 1, 15])
    func aCmsgLenBelowTheHeaderEndsTheWalk(length: Int) {
        let bytes = Self.message(length: length, level: 0, type: 11, payload: [1, 2, 3, 4])
            + Self.message(level: 1, type: 40, payload: [3, 0, 0, 0])
        #expect(Self.walk(bytes).isEmpty)
    }

    @Test func aCmsgLenPastTheBufferEndsTheWalk() {
        let first = Self.message(level: 1, type: 40, payload: [3, 0, 0, 0])
        let bytes = first + Self.message(length: 4096, level: 0, type: 11, payload: [UInt8](repeating: 0, count: 16))
        let found = Self.walk(bytes)
        #expect(found.count == 1)
        #expect(found.first?.type == 40)
        #expect(Self.walk(Array(first.prefix(ControlMessages.headerSize - 1))).isEmpty)
    }

    /// The last message may lack its trailing padding.
    @Test func theLastMessageNeedsNoPadding() {
        let bytes = Array(Self.message(level: 1, type: 40, payload: [3, 0, 0, 0]).prefix(ControlMessages.headerSize + 4))
        #expect(Self.walk(bytes).first?.payload == [3, 0, 0, 0])
    }
}
