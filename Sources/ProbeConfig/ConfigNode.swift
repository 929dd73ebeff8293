import Yams

/// A YAML node with its key path, read strictly: each accessor checks the node's type and range and
/// throws a ``ConfigurationError`` naming the key path and the node's line.
///
/// Types are judged on the text and style of a scalar, not on YAML 1.1 implicit typing: an integer is a
/// plain (unquoted) decimal number, a boolean is a plain `true`/`false` (or `yes`/`no`, `on`/`off`), a
/// string is any scalar but an empty or `null`/`~` one (a plain `0660` read as a string stays `"0660"`).
struct ConfigNode {
    let node: Node
    /// `probe.timeout_ms`, `pools[1]`; empty for the document's root.
    let path: String
    let fileName: String

    /// The node's 1-based line.
    var line: Int? { node.mark?.line }

    /// An error about this node.
    func error(_ code: ConfigurationError.Code, _ message: String) -> ConfigurationError {
        ConfigurationError(
            code: code,
            fileName: fileName,
            keyPath: path,
            line: node.mark?.line,
            column: node.mark?.column,
            message: message
        )
    }

    /// The child at `key` of a mapping.
    func child(_ key: String, _ node: Node) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", fileName: fileName)
    }

    // MARK: Kinds

    /// A plain empty, `~` or `null` scalar: YAML's "nothing here".
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        if scalar.tag.rawValue == Tag.Name.null.rawValue { return true }
        return Self.isUntyped(scalar.tag) && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What the node is, for "(got …)": the plain text, a quoted string in quotes, `a list`, `a mapping`.
    var shown: String {
        switch node {
        case .scalar(let scalar):
            if isNull { return "nothing" }
            if scalar.style == .plain || scalar.style == .any { return Self.clip(scalar.string) }
            return quoted(Self.clip(scalar.string))
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private static func clip(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    /// A plain scalar's text when it carries no type of its own, or `expected`; `nil` for anything
    /// else (a quoted scalar, another explicit tag).
    private func plainText(tagged expected: Tag.Name) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
            Self.isUntyped(scalar.tag) || scalar.tag.rawValue == expected.rawValue
        else { return nil }
        return scalar.string
    }

    /// Whether a plain scalar's tag says nothing of its type. The document is composed with Yams'
    /// rule-less resolver (``YAMLDocument``), which resolves an implicit tag to `!!str` in place once
    /// it is read (comparing keys reads it); so an explicit `!!str` on a plain scalar reads the same.
    private static func isUntyped(_ tag: Tag) -> Bool {
        tag.rawValue == Tag.Name.implicit.rawValue || tag.rawValue == Tag.Name.str.rawValue
    }

    // MARK: Scalars

    /// A plain decimal integer within `range` (`_` may separate digits).
    func integer(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let expectation = "must be an integer from \(range.lowerBound) to \(range.upperBound) (got \(shown))"
        guard let text = plainText(tagged: .int) else { throw error(.wrongType, expectation) }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard let head = digits.first, head.isASCII, head.isNumber,
            digits.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" })
        else { throw error(.wrongType, expectation) }
        let cleaned = digits.filter { $0 != "_" }
        guard cleaned.count <= 18, let magnitude = Int(cleaned) else { throw error(.outOfRange, expectation) }
        let value = negative ? -magnitude : magnitude
        guard range.contains(value) else { throw error(.outOfRange, expectation) }
        return value
    }

    /// A plain `true`/`false` (also `True`, `TRUE`, `yes`/`no`, `on`/`off`).
    func bool() throws(ConfigurationError) -> Bool {
        switch plainText(tagged: .bool) {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: throw error(.wrongType, "must be true or false (got \(shown))")
        }
    }

    /// One of the names of `Choice`'s cases (`log.level`, `probe.neighbor_solicit`); any other
    /// text is an invalid value whose message lists them.
    func choice<Choice: RawRepresentable & CaseIterable>(of _: Choice.Type) throws(ConfigurationError) -> Choice
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        let text = try string("one of \(names)")
        guard let value = Choice(rawValue: text) else {
            throw error(.invalidValue, "must be one of \(names) (got \(quoted(text)))")
        }
        return value
    }

    /// Any non-null scalar's text. `what` describes the value in the message (`a string`, `a path`).
    func string(_ what: String = "a string") throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node, !isNull else {
            throw error(.wrongType, "must be \(what) (got \(shown))")
        }
        return scalar.string
    }

    // MARK: Collections

    /// The elements of a list, with paths `path[0]`, `path[1]`, ….
    func list(of what: String) throws(ConfigurationError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else {
            throw error(.wrongType, "must be a list of \(what) (got \(shown))")
        }
        return sequence.enumerated().map { index, element in
            ConfigNode(node: element, path: "\(path)[\(index)]", fileName: fileName)
        }
    }

    /// A mapping whose keys must all be among `keys`; a null node (a section left empty) is an empty mapping.
    func mapping(keys: [String], what: String = "a mapping") throws(ConfigurationError) -> ConfigMapping {
        if isNull { return ConfigMapping(owner: self, entries: [:]) }
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType, "must be \(what) (got \(shown))")
        }
        var entries: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            let keyPath = ConfigNode(node: keyNode, path: path, fileName: fileName)
            guard case .scalar(let scalar) = keyNode else {
                throw keyPath.error(.wrongType, "a key must be a plain word (got \(keyPath.shown))")
            }
            let key = scalar.string
            guard keys.contains(key) else {
                let unknown = ConfigNode(node: keyNode, path: child(key, keyNode).path, fileName: fileName)
                throw unknown.error(.unknownKey, Self.unknownKeyMessage(key, known: keys, under: path))
            }
            entries[key] = child(key, value)
        }
        return ConfigMapping(owner: self, entries: entries)
    }

    /// `unknown key (did you mean probe.timeout_ms?)`, or the known keys when none is near.
    private static func unknownKeyMessage(_ key: String, known: [String], under path: String) -> String {
        let prefix = path.isEmpty ? "" : path + "."
        let nearest = known.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        if let nearest, nearest.1 <= max(2, key.count / 3) {
            return "unknown key (did you mean \(prefix)\(nearest.0)?)"
        }
        return "unknown key (known here: \(known.joined(separator: ", ")))"
    }

    /// Levenshtein distance, for suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The checked entries of one YAML mapping.
struct ConfigMapping {
    let owner: ConfigNode
    let entries: [String: ConfigNode]

    /// The value at `key`, or `nil` when the key is absent.
    subscript(key: String) -> ConfigNode? {
        entries[key]
    }

    /// Decodes `key` with `decode` into `target` when the key is present; leaves the default otherwise.
    func read<T>(
        _ key: String,
        into target: inout T,
        _ decode: (ConfigNode) throws(ConfigurationError) -> T
    ) throws(ConfigurationError) {
        if let node = entries[key] {
            target = try decode(node)
        }
    }
}
