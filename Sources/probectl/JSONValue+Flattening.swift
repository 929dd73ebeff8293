import ProbeProtocol

extension JSONValue {
    /// The value as key/value text pairs for `stats` and `info`, in the daemon's member order.
    ///
    /// Nested objects are flattened with dots (`rtt_us.p50`), arrays of scalars joined with
    /// commas (`families  ipv4, ipv6`), arrays holding objects or arrays indexed
    /// (`pools[0].prefix`); an empty object or array reads `(none)`.
    ///
    /// - Parameter key: the key of this value; empty at the top level.
    func flattened(key: String = "") -> [(key: String, value: String)] {
        switch self {
        case .object(let object):
            guard !object.isEmpty else { return [(key, "(none)")] }
            return object.members.flatMap { member in
                member.value.flattened(key: key.isEmpty ? member.key : "\(key).\(member.key)")
            }
        case .array(let elements):
            guard !elements.isEmpty else { return [(key, "(none)")] }
            if elements.allSatisfy(\.isScalar) {
                return [(key, elements.map(\.scalarText).joined(separator: ", "))]
            }
            return elements.enumerated().flatMap { position, element in
                element.flattened(key: "\(key)[\(position)]")
            }
        default:
            return [(key, scalarText)]
        }
    }

    /// Whether the value is neither an object nor an array.
    private var isScalar: Bool {
        switch self {
        case .object, .array: false
        default: true
        }
    }

    /// A scalar as a person reads it: strings without quotes, other values as JSON.
    private var scalarText: String {
        if case .string(let string) = self { return string }
        return description
    }
}
