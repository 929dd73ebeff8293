/// A JSON number that keeps integer literals exact.
///
/// A literal without fraction or exponent that fits in `Int64` is ``integer(_:)``; anything else
/// (`1.5`, `1e3`, `1.0`, or an integer too large for `Int64`) is ``double(_:)``, so a decoder can
/// tell "an integer" from "a number that happens to be whole".
public enum JSONNumber: Hashable, Sendable {
    /// An integer literal that fits in `Int64`.
    case integer(Int64)
    /// Any other number.
    case double(Double)

    /// The integer, when the number was an integer literal.
    public var int64Value: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The number as a `Double` (rounded for integers beyond 2^53).
    public var doubleValue: Double {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value
        }
    }

    /// Whether the number was written as an integer literal that fits in `Int64`.
    public var isInteger: Bool { int64Value != nil }
}

extension JSONNumber: CustomStringConvertible {
    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .double(let value): value.isFinite ? String(value) : "null"
        }
    }
}
