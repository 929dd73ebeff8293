/// The request decoder's fast path: it reads the common, well-formed request straight from the
/// bytes, without building a ``JSONValue`` tree or strings for keys and addresses.
///
/// It never refuses anything: on whatever it does not handle (an unknown or repeated key, an
/// escape in a string, a value of the wrong type or out of range, a syntax error…) it gives up
/// and the full decoder (``Request/decode(json:)``) takes over, so errors and their messages
/// come from one place. Whatever it accepts, the full decoder accepts with the same result.
struct RequestFastPath {
    private var scanner: JSONScanner

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Request? {
        var fast = RequestFastPath(scanner: JSONScanner(bytes: bytes, maxDepth: 2))
        return fast.decode()
    }

    private init(scanner: JSONScanner) {
        self.scanner = scanner
    }

    private enum Key: UInt16 {
        case id = 1
        case op = 2
        case addr = 4
        case addrs = 8
        case timeout = 16
        case attempts = 32
        case maxAge = 64
        case state = 128
        case ttl = 256
        case prefix = 512
        case all = 1024
    }

    private var bytes: UnsafeBufferPointer<UInt8> { scanner.bytes }

    private mutating func decode() -> Request? {
        var seen: UInt16 = 0
        var id: RequestID?
        var op: OperationKind?
        var addr: IPAddress?
        var addrs: [IPAddress]?
        var timeout: Int?
        var attempts: Int?
        var maxAge: Int?
        var ttl: Int?
        var state: VerdictState?
        var prefix: IPPrefix?
        var all: Bool?

        guard scanner.beginObject() else { return nil }
        var more = true
        while more {
            guard let keyRange = scanner.memberKey(), let key = identify(keyRange), seen & key.rawValue == 0 else {
                return nil
            }
            seen |= key.rawValue
            switch key {
            case .id:
                if scanner.peek() == UInt8(ascii: "\"") {
                    guard let range = scanner.plainString() else { return nil }
                    id = .string(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
                } else {
                    guard let number = scanner.plainInteger(), number.magnitude <= RequestID.maxNumber.magnitude else { return nil }
                    id = .number(number)
                }
            case .op:
                guard let range = scanner.plainString(), let kind = operationKind(range) else { return nil }
                op = kind
            case .addr:
                guard let address = address() else { return nil }
                addr = address
            case .addrs:
                guard let list = addressList() else { return nil }
                addrs = list
            case .timeout:
                guard let value = integer(in: Request.Limits.timeoutMilliseconds) else { return nil }
                timeout = value
            case .attempts:
                guard let value = integer(in: Request.Limits.attempts) else { return nil }
                attempts = value
            case .maxAge:
                guard let value = integer(in: Request.Limits.maxAgeMilliseconds) else { return nil }
                maxAge = value
            case .ttl:
                guard let value = integer(in: Request.Limits.ttlMilliseconds) else { return nil }
                ttl = value
            case .state:
                guard let range = scanner.plainString() else { return nil }
                if matches(range, "in_use") {
                    state = .inUse
                } else if matches(range, "free") {
                    state = .free
                } else {
                    return nil
                }
            case .prefix:
                guard let range = scanner.plainString(),
                    let parsed = IPPrefix.parse(UnsafeBufferPointer(rebasing: bytes[range]))
                else { return nil }
                prefix = parsed
            case .all:
                guard let flag = scanner.plainBoolean() else { return nil }
                all = flag
            }
            guard let next = scanner.afterMember() else { return nil }
            more = next
        }
        guard scanner.endDocument(), let op else { return nil }

        let operation: Request.Operation
        switch op {
        case .check:
            guard let addr else { return nil }
            operation = .check(
                CheckRequest(
                    addr: addr,
                    timeoutMilliseconds: timeout,
                    attempts: attempts,
                    maxAgeMilliseconds: maxAge
                )
            )
        case .pick:
            guard let addrs else { return nil }
            operation = .pick(
                PickRequest(
                    addrs: addrs,
                    timeoutMilliseconds: timeout,
                    attempts: attempts,
                    maxAgeMilliseconds: maxAge
                )
            )
        case .mark:
            guard let addr, let state else { return nil }
            operation = .mark(MarkRequest(addr: addr, state: state, ttlMilliseconds: ttl))
        case .forget:
            switch (addr, prefix, all ?? false) {
            case (let address?, nil, false): operation = .forget(.address(address))
            case (nil, let prefix?, false): operation = .forget(.prefix(prefix))
            case (nil, nil, true): operation = .forget(.all)
            default: return nil
            }
        case .stats:
            operation = .stats
        case .info:
            operation = .info
        }
        return Request(id: id, operation: operation)
    }

    private mutating func integer(in range: ClosedRange<Int>) -> Int? {
        guard let value = scanner.plainInteger(), let int = Int(exactly: value), range.contains(int) else { return nil }
        return int
    }

    private mutating func address() -> IPAddress? {
        guard let range = scanner.plainString() else { return nil }
        return AddressParser.address(UnsafeBufferPointer(rebasing: bytes[range]))
    }

    private mutating func addressList() -> [IPAddress]? {
        guard scanner.consume(UInt8(ascii: "[")) else { return nil }
        var list: [IPAddress] = []
        list.reserveCapacity(8)
        scanner.skipWhitespace()
        while true {
            guard let address = address() else { return nil }
            list.append(address)
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: "]")) { break }
            guard scanner.consume(UInt8(ascii: ",")) else { return nil }
            scanner.skipWhitespace()
        }
        return Request.Limits.pickCandidates.contains(list.count) ? list : nil
    }

    private func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool { scanner.matches(range, literal) }

    private func identify(_ range: Range<Int>) -> Key? {
        switch range.count {
        case 2: matches(range, "id") ? .id : matches(range, "op") ? .op : nil
        case 3: matches(range, "all") ? .all : nil
        case 4: matches(range, "addr") ? .addr : nil
        case 5: matches(range, "addrs") ? .addrs : matches(range, "state") ? .state : nil
        case 6: matches(range, "ttl_ms") ? .ttl : matches(range, "prefix") ? .prefix : nil
        case 8: matches(range, "attempts") ? .attempts : nil
        case 10: matches(range, "timeout_ms") ? .timeout : matches(range, "max_age_ms") ? .maxAge : nil
        default: nil
        }
    }

    private func operationKind(_ range: Range<Int>) -> OperationKind? {
        switch range.count {
        case 4: matches(range, "pick") ? .pick : matches(range, "mark") ? .mark : matches(range, "info") ? .info : nil
        case 5: matches(range, "check") ? .check : matches(range, "stats") ? .stats : nil
        case 6: matches(range, "forget") ? .forget : nil
        default: nil
        }
    }
}
