extension Response {
    /// Appends the answer as one JSON line, with its trailing `\n`, straight into bytes.
    ///
    /// `id` comes first (left out when ``ResponseID/absent``), then `ok`, then the fields of the
    /// answer in the order of the protocol's examples:
    /// `{"id":7,"ok":true,"addr":"198.51.100.10","state":"in_use","evidence":"echo_reply",`
    /// `"rtt_us":412,"cached":false,"age_ms":0}`.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .stats, .info:
            // Not on the hot path, and of no size known in advance.
            encodeBody(into: &bytes)
        default:
            bytes.appendUnsafely(maxCount: maxEncodedCount) { writer in encodeBody(into: &writer) }
        }
    }

    /// The answer as one JSON line, with its trailing `\n`.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// The most bytes the answer takes (meaningless for stats and info).
    private var maxEncodedCount: Int {
        let overhead = 48 + id.maxMemberCount
        switch self {
        case .verdict(let verdict, _):
            return overhead + verdict.maxFieldsCount
        case .pick(let answer, _):
            return answer.results.reduce(overhead + 64 + (answer.addr?.maxJSONStringCount ?? 4)) {
                $0 + $1.maxEncodedCount + 1
            }
        case .error(let error, _):
            return overhead + JSONWriter.maxStringCount(error.code.rawValue)
                + JSONWriter.maxStringCount(error.message)
        case .ok, .removed, .stats, .info:
            return overhead + JSONWriter.maxIntegerCount
        }
    }

    private func encodeBody(into bytes: inout some ByteSink) {
        bytes.append(UInt8(ascii: "{"))
        id.encodeMember(into: &bytes)
        switch self {
        case .verdict(let verdict, _):
            bytes.appendLiteral(#""ok":true,"#)
            verdict.encodeFields(into: &bytes)
        case .pick(let answer, _):
            bytes.appendLiteral(#""ok":true,"addr":"#)
            if let address = answer.addr {
                address.writeJSONString(to: &bytes)
            } else {
                bytes.appendLiteral("null")
            }
            bytes.appendLiteral(#","results":["#)
            for (position, result) in answer.results.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                result.encode(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .ok:
            bytes.appendLiteral(#""ok":true"#)
        case .removed(let count, _):
            bytes.appendLiteral(#""ok":true,"removed":"#)
            JSONWriter.writeInteger(Int64(count), to: &bytes)
        case .stats(let stats, _):
            bytes.appendLiteral(#""ok":true,"stats":"#)
            JSONWriter.write(stats, to: &bytes)
        case .info(let info, _):
            bytes.appendLiteral(#""ok":true"#)
            if case .object(let object) = info {
                JSONWriter.writeMembers(of: object, leadingComma: true, skipping: ["id", "ok"], to: &bytes)
            } else {
                bytes.appendLiteral(#","info":"#)
                JSONWriter.write(info, to: &bytes)
            }
        case .error(let error, _):
            bytes.appendLiteral(#""ok":false,"error":{"code":"#)
            JSONWriter.writeString(error.code.rawValue, to: &bytes)
            bytes.appendLiteral(#","message":"#)
            JSONWriter.writeString(error.message, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.appendLiteral("}\n")
    }
}
