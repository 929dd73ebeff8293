/// The ICMP target: every parser of what an echo socket reads (``EchoPacket``) and the walk over a
/// received message's control messages (``ControlMessages``). Built together with those two files
/// of ProbeCore (see `scripts/fuzz`).
///
/// The first input byte picks the parser; the rest, of exactly its length, is the datagram or the
/// control buffer, so that ASan catches a read past its end. An echo reply must carry the header
/// and payload fields it was read from.
enum ICMPFuzz {
    static func run(_ input: UnsafeBufferPointer<UInt8>) {
        guard let mode = input.first else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[1...])
        let message: EchoPacket.Message
        switch mode % 6 {
        case 0: message = EchoPacket.parse(bytes, family: .ipv4)
        case 1: message = EchoPacket.parse(bytes, family: .ipv6)
        case 2: message = EchoPacket.parseRawIPv4(bytes)
        case 3: message = EchoPacket.parseQuotedRequest(bytes, family: .ipv4)
        case 4: message = EchoPacket.parseQuotedRequest(bytes, family: .ipv6)
        default:
            walkControlMessages(bytes)
            return
        }
        if case .reply(let echo) = message, mode % 6 < 2 {
            // A reply read straight from the socket: the same 24 bytes as our request, but for the type.
            let request = EchoPacket.request(echo, family: mode % 6 == 0 ? .ipv4 : .ipv6)
            guard bytes.count >= EchoPacket.length, Array(bytes[4..<EchoPacket.length]) == Array(request[4...]) else {
                FuzzCheck.fail("the reply \(echo) is not what its bytes say: \(Array(bytes))")
            }
        }
    }

    static func walkControlMessages(_ bytes: UnsafeRawBufferPointer) {
        var total = 0
        ControlMessages.forEach(in: bytes) { _, _, payload in
            guard let base = bytes.baseAddress, let start = payload.baseAddress ?? (payload.isEmpty ? base : nil),
                start >= base + ControlMessages.headerSize, start + payload.count <= base + bytes.count
            else { FuzzCheck.fail("a control message's payload lies outside the buffer") }
            total += payload.count + ControlMessages.headerSize
            // Touch every byte, as a reader of the payload would.
            var sum: UInt8 = 0
            for byte in payload { sum &+= byte }
            _ = sum
        }
        guard total <= bytes.count else { FuzzCheck.fail("control messages of \(total) bytes in \(bytes.count)") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ICMPFuzz.run(FuzzCheck.bytes(data, size))
    return 0
}
