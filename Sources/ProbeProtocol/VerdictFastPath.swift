/// The answer decoder's fast path for the most common answer, a verdict to a `check` with a
/// numeric id: it reads the line straight from the bytes, without building a ``JSONValue`` tree
/// (a client sweeping a /16 reads 65,536 of them).
///
/// Like ``RequestFastPath`` it never refuses anything: on whatever it does not handle (another
/// kind of answer, an error, an unknown or repeated key, an escape in a string…) it gives up and
/// the full decoder takes over. Whatever it accepts, ``Response/decode(_:expecting:)`` decodes
/// to the same verdict.
struct VerdictFastPath {
    private var scanner: JSONScanner

    private init(scanner: JSONScanner) {
        self.scanner = scanner
    }

    /// The id and verdict of a `check` answer line (without its `\n`), or nil.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> (id: Int64, verdict: Verdict)? {
        var fast = VerdictFastPath(scanner: JSONScanner(bytes: bytes, maxDepth: 1))
        return fast.decode()
    }

    private enum Key: UInt16 {
        case id = 1, ok = 2, addr = 4, state = 8, evidence = 16, rtt = 32, mac = 64, reason = 128, cached = 256, age = 512
    }

    private mutating func decode() -> (id: Int64, verdict: Verdict)? {
        var seen: UInt16 = 0
        var id: Int64?
        var addr: IPAddress?
        var state: VerdictState?
        var evidence: Evidence?
        var rtt: Int?
        var mac: String?
        var reason: String?
        var cached: Bool?
        var age: Int?

        guard scanner.beginObject() else { return nil }
        var more = true
        while more {
            guard let keyRange = scanner.memberKey(), let key = identify(keyRange), seen & key.rawValue == 0 else {
                return nil
            }
            seen |= key.rawValue
            switch key {
            case .id:
                guard let number = scanner.plainInteger(), number.magnitude <= RequestID.maxNumber.magnitude else { return nil }
                id = number
            case .ok:
                guard scanner.plainBoolean() == true else { return nil }
            case .addr:
                guard let range = scanner.plainString(),
                    let address = AddressParser.address(UnsafeBufferPointer(rebasing: scanner.bytes[range]))
                else { return nil }
                addr = address
            case .state:
                guard let range = scanner.plainString(), let value = Self.state(range, scanner) else { return nil }
                state = value
            case .evidence:
                guard let range = scanner.plainString(), let value = Self.evidence(range, scanner) else { return nil }
                evidence = value
            case .rtt:
                guard let value = scanner.plainInteger().flatMap(Int.init(exactly:)) else { return nil }
                rtt = value
            case .mac:
                guard let range = scanner.plainString() else { return nil }
                mac = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
            case .reason:
                guard let range = scanner.plainString() else { return nil }
                reason = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
            case .cached:
                guard let value = scanner.plainBoolean() else { return nil }
                cached = value
            case .age:
                guard let value = scanner.plainInteger().flatMap(Int.init(exactly:)) else { return nil }
                age = value
            }
            guard let next = scanner.afterMember() else { return nil }
            more = next
        }
        guard scanner.endDocument(), seen & Key.ok.rawValue != 0,
            let id, let addr, let state, let evidence, let cached, let age
        else { return nil }
        let verdict = Verdict(
            addr: addr, state: state, evidence: evidence, rttMicroseconds: rtt, mac: mac, reason: reason,
            cached: cached, ageMilliseconds: age
        )
        return (id, verdict)
    }

    private func identify(_ range: Range<Int>) -> Key? {
        switch range.count {
        case 2: scanner.matches(range, "id") ? .id : scanner.matches(range, "ok") ? .ok : nil
        case 3: scanner.matches(range, "mac") ? .mac : nil
        case 4: scanner.matches(range, "addr") ? .addr : nil
        case 5: scanner.matches(range, "state") ? .state : nil
        case 6:
            scanner.matches(range, "rtt_us") ? .rtt
                : scanner.matches(range, "reason") ? .reason
                : scanner.matches(range, "cached") ? .cached
                : scanner.matches(range, "age_ms") ? .age : nil
        case 8: scanner.matches(range, "evidence") ? .evidence : nil
        default: nil
        }
    }

    private static func state(_ range: Range<Int>, _ scanner: JSONScanner) -> VerdictState? {
        if scanner.matches(range, "in_use") { return .inUse }
        if scanner.matches(range, "free") { return .free }
        if scanner.matches(range, "unknown") { return .unknown }
        return nil
    }

    private static func evidence(_ range: Range<Int>, _ scanner: JSONScanner) -> Evidence? {
        switch range.count {
        case 6: scanner.matches(range, "marked") ? .marked : nil
        case 7: scanner.matches(range, "timeout") ? .timeout : nil
        case 8: scanner.matches(range, "neighbor") ? .neighbor : scanner.matches(range, "not_sent") ? .notSent : nil
        case 10: scanner.matches(range, "echo_reply") ? .echoReply : nil
        case 11: scanner.matches(range, "unreachable") ? .unreachable : scanner.matches(range, "send_failed") ? .sendFailed : nil
        default: nil
        }
    }
}

extension Response {
    /// Reads a verdict answer with a numeric id quickly (see ``VerdictFastPath``); nil for any
    /// other line, which ``decode(_:expecting:)`` then reads.
    public static func decodeVerdict(_ line: UnsafeBufferPointer<UInt8>) -> (id: Int64, verdict: Verdict)? {
        VerdictFastPath.decode(line)
    }
}
