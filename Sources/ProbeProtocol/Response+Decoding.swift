extension Response {
    /// Reads one answer line (with or without its `\n`).
    ///
    /// - Parameters:
    ///   - line: the UTF-8 bytes of the line.
    ///   - kind: the op of the request it answers, which decides how a successful answer is read.
    ///     `nil` guesses from the shape: `results` → pick, `evidence` → verdict, `removed` →
    ///     forget, `stats` → stats, nothing but `id`/`ok` → mark, anything else → info.
    /// - Throws: ``ResponseDecodingError`` when the line is not a well-formed answer.
    public static func decode(_ line: some Collection<UInt8>, expecting kind: OperationKind? = nil)
        throws(ResponseDecodingError) -> Response
    {
        let json: JSONValue
        do throws(JSONError) {
            json = try JSONParser.parse(line)
        } catch {
            throw ResponseDecodingError("invalid JSON: \(error)")
        }
        return try decode(json: json, expecting: kind)
    }

    /// Reads an answer from an already parsed JSON value (see ``decode(_:expecting:)``).
    public static func decode(json: JSONValue, expecting kind: OperationKind? = nil)
        throws(ResponseDecodingError) -> Response
    {
        guard case .object(let object) = json else { throw ResponseDecodingError("an answer must be a JSON object") }
        let id: ResponseID
        switch object["id"] {
        case nil: id = .absent
        case .null: id = .null
        case let value?:
            guard let requestID = RequestID(json: value) else { throw ResponseDecodingError("invalid id") }
            id = .value(requestID)
        }
        guard let ok = object["ok"]?.boolValue else { throw ResponseDecodingError("missing or invalid ok") }
        if !ok {
            guard let error = object["error"], let code = error["code"]?.stringValue,
                let message = error["message"]?.stringValue
            else { throw ResponseDecodingError("an error answer needs error.code and error.message") }
            return .error(ProbeError(code: ProbeError.Code(rawValue: code), message: message), id: id)
        }
        switch kind ?? guessKind(object) {
        case .check:
            return .verdict(try Verdict(decoding: object), id: id)
        case .pick:
            return .pick(try PickAnswer(decoding: object), id: id)
        case .mark:
            return .ok(id: id)
        case .forget:
            guard let removed = object["removed"]?.intValue else { throw ResponseDecodingError("missing removed") }
            return .removed(removed, id: id)
        case .stats:
            guard let stats = object["stats"], case .object = stats else {
                throw ResponseDecodingError("missing stats object")
            }
            return .stats(stats, id: id)
        case .info:
            var info = object
            info["id"] = nil
            info["ok"] = nil
            return .info(.object(info), id: id)
        }
    }

    private static func guessKind(_ object: JSONObject) -> OperationKind {
        if object["results"] != nil { return .pick }
        if object["evidence"] != nil { return .check }
        if object["removed"] != nil { return .forget }
        if object["stats"] != nil { return .stats }
        if object.members.allSatisfy({ $0.key == "id" || $0.key == "ok" }) { return .mark }
        return .info
    }
}

extension Verdict {
    /// Reads a verdict from the members of an answer or of a `pick` result.
    init(decoding object: JSONObject) throws(ResponseDecodingError) {
        guard let addrText = object["addr"]?.stringValue, let addr = IPAddress(addrText) else {
            throw ResponseDecodingError("missing or invalid addr")
        }
        guard let stateText = object["state"]?.stringValue, let state = VerdictState(rawValue: stateText) else {
            throw ResponseDecodingError("missing or invalid state")
        }
        guard let evidenceText = object["evidence"]?.stringValue, let evidence = Evidence(rawValue: evidenceText) else {
            throw ResponseDecodingError("missing or invalid evidence")
        }
        guard let cached = object["cached"]?.boolValue else { throw ResponseDecodingError("missing or invalid cached") }
        guard let age = object["age_ms"]?.intValue else { throw ResponseDecodingError("missing or invalid age_ms") }
        func optional<T>(_ key: String, _ read: (JSONValue) -> T?) throws(ResponseDecodingError) -> T? {
            guard let value = object[key] else { return nil }
            guard let result = read(value) else { throw ResponseDecodingError("invalid \(key)") }
            return result
        }
        self.init(
            addr: addr,
            state: state,
            evidence: evidence,
            rttMicroseconds: try optional("rtt_us", \.intValue),
            mac: try optional("mac", \.stringValue),
            reason: try optional("reason", \.stringValue),
            cached: cached,
            ageMilliseconds: age
        )
    }
}

extension PickAnswer {
    /// Reads the `addr` and `results` of a `pick` answer.
    init(decoding object: JSONObject) throws(ResponseDecodingError) {
        var chosen: IPAddress?
        switch object["addr"] {
        case .null?:
            chosen = nil
        case .string(let text)?:
            guard let address = IPAddress(text) else { throw ResponseDecodingError("invalid addr") }
            chosen = address
        default:
            throw ResponseDecodingError("missing or invalid addr")
        }
        guard let elements = object["results"]?.arrayValue else { throw ResponseDecodingError("missing results") }
        var results: [PickResult] = []
        results.reserveCapacity(elements.count)
        for element in elements {
            guard let entry = element.objectValue else { throw ResponseDecodingError("a result must be an object") }
            if entry["state"]?.stringValue == "pending" {
                guard let text = entry["addr"]?.stringValue, let address = IPAddress(text) else {
                    throw ResponseDecodingError("missing or invalid addr in a pending result")
                }
                results.append(.pending(address))
            } else {
                results.append(.settled(try Verdict(decoding: entry)))
            }
        }
        self.init(addr: chosen, results: results)
    }
}
