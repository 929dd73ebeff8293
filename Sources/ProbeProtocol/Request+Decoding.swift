extension Request {
    /// The outcome of decoding a request line.
    public enum DecodeResult: Hashable, Sendable {
        /// A well-formed request.
        case success(Request)
        /// A bad request, with the id to answer under: ``ResponseID/null`` when the line was not a
        /// JSON object or its `id` was unusable, else the request's id (or ``ResponseID/absent``).
        case failure(id: ResponseID, error: ProbeError)
    }

    /// Decodes one request line (without its line terminator).
    ///
    /// Unknown fields are ignored. Anything else wrong is a `bad_request` whose message names the
    /// field: not JSON or not an object (answered with `"id":null`), an `id` that is neither a
    /// string nor an integer with magnitude up to 2^53−1 (also `"id":null`), a missing or unknown
    /// `op`, a missing or ill-typed field, a bad address or prefix, a value out of range
    /// (see ``Limits``). `null` counts as ill-typed, not as absent.
    public static func decode(_ line: some Collection<UInt8>) -> DecodeResult {
        line.withContiguousStorageIfAvailable { decode(utf8: $0) }
            ?? Array(line).withUnsafeBufferPointer { decode(utf8: $0) }
    }

    /// Decodes one request line from raw memory (for example inside `ByteBuffer.withUnsafeReadableBytes`).
    public static func decode(buffer: UnsafeRawBufferPointer) -> DecodeResult {
        decode(utf8: buffer.assumingMemoryBound(to: UInt8.self))
    }

    /// Decodes a request from an already parsed JSON value.
    public static func decode(json: JSONValue) -> DecodeResult {
        guard case .object(let object) = json else {
            return .failure(id: .null, error: .badRequest("a request must be a JSON object"))
        }
        var id: RequestID?
        if let idValue = object["id"] {
            guard let parsed = RequestID(json: idValue) else {
                return .failure(
                    id: .null,
                    error: .badRequest("id must be a string or an integer from -9007199254740991 to 9007199254740991")
                )
            }
            id = parsed
        }
        do throws(ProbeError) {
            return .success(Request(id: id, operation: try RequestFields(object).operation()))
        } catch {
            return .failure(id: ResponseID(id), error: error)
        }
    }

    static func decode(utf8 bytes: UnsafeBufferPointer<UInt8>) -> DecodeResult {
        if let request = RequestFastPath.decode(bytes) { return .success(request) }
        switch JSONParser.parseResult(bytes, maxDepth: JSONParser.defaultMaxDepth) {
        case .success(let json):
            return decode(json: json)
        case .failure(let error):
            return .failure(id: .null, error: .badRequest("invalid JSON: \(error)"))
        }
    }
}

/// Reads and checks the fields of a request object.
struct RequestFields {
    let object: JSONObject

    init(_ object: JSONObject) {
        self.object = object
    }

    func operation() throws(ProbeError) -> Request.Operation {
        guard let opValue = object["op"] else { throw .badRequest("missing op") }
        guard case .string(let op) = opValue else { throw .badRequest("op must be a string") }
        switch op {
        case "check":
            return .check(
                CheckRequest(
                    addr: try address("addr"),
                    timeoutMilliseconds: try integer("timeout_ms", in: Request.Limits.timeoutMilliseconds),
                    attempts: try integer("attempts", in: Request.Limits.attempts),
                    maxAgeMilliseconds: try integer("max_age_ms", in: Request.Limits.maxAgeMilliseconds)
                )
            )
        case "pick":
            return .pick(
                PickRequest(
                    addrs: try addresses("addrs"),
                    timeoutMilliseconds: try integer("timeout_ms", in: Request.Limits.timeoutMilliseconds),
                    attempts: try integer("attempts", in: Request.Limits.attempts),
                    maxAgeMilliseconds: try integer("max_age_ms", in: Request.Limits.maxAgeMilliseconds)
                )
            )
        case "mark":
            return .mark(
                MarkRequest(
                    addr: try address("addr"),
                    state: try markState(),
                    ttlMilliseconds: try integer("ttl_ms", in: Request.Limits.ttlMilliseconds)
                )
            )
        case "forget":
            return .forget(try forgetTarget())
        case "stats":
            return .stats
        case "info":
            return .info
        default:
            throw .badRequest("unknown op \(Self.quoted(op))")
        }
    }

    /// A required address field.
    func address(_ key: String) throws(ProbeError) -> IPAddress {
        guard let value = object[key] else { throw .badRequest("missing \(key)") }
        return try Self.address(value, field: key)
    }

    /// The candidates of a `pick`.
    func addresses(_ key: String) throws(ProbeError) -> [IPAddress] {
        let limits = Request.Limits.pickCandidates
        guard let value = object[key] else { throw .badRequest("missing \(key)") }
        guard case .array(let elements) = value, limits.contains(elements.count) else {
            throw .badRequest("\(key) must be an array of \(limits.lowerBound) to \(limits.upperBound) addresses")
        }
        var result: [IPAddress] = []
        result.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            guard case .string(let text) = element else { throw .badRequest("\(key)[\(position)] must be a string") }
            guard let address = AddressParser.withUTF8(text, AddressParser.address) else {
                throw .badRequest("\(key)[\(position)] is not a valid IP address: \(Self.quoted(text))")
            }
            result.append(address)
        }
        return result
    }

    /// An optional integer field within `range`; any other number or type is refused.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(ProbeError) -> Int? {
        guard let value = object[key] else { return nil }
        guard let integer = value.intValue, range.contains(integer) else {
            throw .badRequest("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }

    func markState() throws(ProbeError) -> VerdictState {
        guard let value = object["state"] else { throw .badRequest("missing state") }
        switch value.stringValue {
        case "in_use": return .inUse
        case "free": return .free
        default: throw .badRequest(#"state must be "in_use" or "free""#)
        }
    }

    func forgetTarget() throws(ProbeError) -> ForgetRequest {
        var targets: [ForgetRequest] = []
        if object["addr"] != nil {
            targets.append(.address(try address("addr")))
        }
        if let value = object["prefix"] {
            guard case .string(let text) = value else { throw .badRequest("prefix must be a string") }
            guard let prefix = IPPrefix(text) else {
                throw .badRequest("prefix is not a valid CIDR prefix: \(Self.quoted(text))")
            }
            targets.append(.prefix(prefix))
        }
        if let value = object["all"] {
            guard case .bool(let all) = value else { throw .badRequest("all must be a boolean") }
            if all { targets.append(.all) }
        }
        guard targets.count == 1 else { throw .badRequest("forget needs exactly one of addr, prefix or all:true") }
        return targets[0]
    }

    static func address(_ value: JSONValue, field: String) throws(ProbeError) -> IPAddress {
        guard case .string(let text) = value else { throw .badRequest("\(field) must be a string") }
        guard let address = AddressParser.withUTF8(text, AddressParser.address) else {
            throw .badRequest("\(field) is not a valid IP address: \(quoted(text))")
        }
        return address
    }

    /// `text` in double quotes, cut to 64 characters, for messages.
    static func quoted(_ text: String) -> String {
        text.count > 64 ? "\"\(text.prefix(64))…\"" : "\"\(text)\""
    }
}
