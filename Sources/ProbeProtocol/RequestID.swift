/// The `id` of a request: a JSON string or an integer with magnitude up to 2^53−1, echoed as given.
public enum RequestID: Hashable, Sendable {
    case string(String)
    case number(Int64)

    /// The largest magnitude of a numeric id: 2^53−1, the largest integer every JSON reader keeps exact.
    public static let maxNumber: Int64 = 9_007_199_254_740_991

    /// Reads an id from its JSON value; `nil` for any other type or a number out of range.
    public init?(json: JSONValue) {
        switch json {
        case .string(let string):
            self = .string(string)
        case .number(.integer(let number)) where number.magnitude <= Self.maxNumber.magnitude:
            self = .number(number)
        default:
            return nil
        }
    }

    /// The id as a JSON value.
    public var json: JSONValue {
        switch self {
        case .string(let string): .string(string)
        case .number(let number): .number(.integer(number))
        }
    }

    /// Appends the id as JSON.
    func encode(into bytes: inout some ByteSink) {
        switch self {
        case .string(let string): JSONWriter.writeString(string, to: &bytes)
        case .number(let number): JSONWriter.writeInteger(number, to: &bytes)
        }
    }
}

extension RequestID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}

extension RequestID: CustomStringConvertible {
    /// The id as JSON text (`7`, `"a"`).
    public var description: String { json.description }
}
