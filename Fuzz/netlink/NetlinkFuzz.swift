import ProbeProtocol

/// The netlink target: the walks over netlink datagrams (``NetlinkParser``, ``NetlinkAnswer``)
/// and the neighbour-message parser (``NeighborMessage``), as the daemon runs them on a dump's
/// datagrams and on monitor events. Built together with those files of ProbeCore (see
/// `scripts/fuzz`).
///
/// The first input byte picks the entry point; the rest, of exactly its length, is the datagram
/// or the payload. A parsed neighbour must have the address family its `ndmsg` names.
enum NetlinkFuzz {
    static func run(_ input: UnsafeBufferPointer<UInt8>) {
        guard let mode = input.first else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[1...])
        switch mode % 3 {
        case 0:
            // An answer to a dump: its sequence and port taken from the first header, so that it matches.
            let first = NetlinkMessageHeader(reading: bytes, at: 0)
            var answer = NetlinkAnswer(sequence: first?.sequence ?? 1, portID: first?.portID ?? 0)
            do throws(NetlinkError) {
                try answer.consume(bytes) { header, payload in check(type: header.type, payload: payload) }
            } catch {
                _ = error.description
            }
        case 1:
            NetlinkParser.forEachMessage(in: bytes) { header, payload in check(type: header.type, payload: payload) }
        default:
            check(type: Netlink.newNeighbor, payload: bytes)
        }
    }

    static func check(type: UInt16, payload: UnsafeRawBufferPointer) {
        switch NeighborMessage.parse(type: type, payload: payload) {
        case .message(let message):
            let isIPv4: Bool
            switch message.entry.address {
            case .v4: isIPv4 = true
            case .v6: isIPv4 = false
            }
            guard isIPv4 == (payload[0] == Netlink.familyIPv4) else {
                FuzzCheck.fail("family \(payload[0]) parsed as \(message.entry.address)")
            }
            _ = message.entry.description
        case .ignored(let reason), .malformed(let reason):
            _ = reason
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    NetlinkFuzz.run(FuzzCheck.bytes(data, size))
    return 0
}
