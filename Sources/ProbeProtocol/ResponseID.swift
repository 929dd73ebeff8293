/// The `id` of an answer: absent (the request had none), `null` (the request line could not be
/// parsed, or its `id` was unusable), or the request's id echoed as given.
public enum ResponseID: Hashable, Sendable {
    /// No `id` key.
    case absent
    /// `"id":null`.
    case null
    /// The request's id.
    case value(RequestID)

    /// The answer id for a request id: ``value(_:)`` or ``absent``.
    public init(_ id: RequestID?) {
        self = id.map(ResponseID.value) ?? .absent
    }

    /// The request id, when there is one.
    public var requestID: RequestID? {
        if case .value(let id) = self { return id }
        return nil
    }

    /// The most bytes ``encodeMember(into:)`` writes.
    var maxMemberCount: Int {
        switch self {
        case .absent: 0
        case .null: 10
        case .value(.number): 6 + JSONWriter.maxIntegerCount
        case .value(.string(let string)): 6 + JSONWriter.maxStringCount(string)
        }
    }

    /// Appends `"id":…,` (with the comma) or nothing.
    func encodeMember(into bytes: inout some ByteSink) {
        switch self {
        case .absent:
            return
        case .null:
            bytes.appendLiteral(#""id":null,"#)
        case .value(let id):
            bytes.appendLiteral(#""id":"#)
            id.encode(into: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
    }
}

extension ResponseID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .value(.number(value)) }
    public init(stringLiteral value: String) { self = .value(.string(value)) }
}
