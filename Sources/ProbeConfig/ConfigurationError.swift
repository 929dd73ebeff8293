/// Why a configuration file was refused: what kind of problem, where (file, line, key path) and why.
///
/// ``description`` is the line an operator reads, for instance
/// `probed.yaml:7: probe.timeout_ms: must be an integer from 1 to 10000 (got 0)`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem. New codes may be added; switch over them with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notFound = "not_found"
            case unreadable
            case syntax
            case duplicateKey = "duplicate_key"
            case unknownKey = "unknown_key"
            case missingKey = "missing_key"
            case wrongType = "wrong_type"
            case outOfRange = "out_of_range"
            case invalidValue = "invalid_value"
            case outsidePolicy = "outside_policy"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The file does not exist (the daemon may then run on defaults, when no `--config` was given).
        public static let notFound = Code(.notFound)
        /// The file exists but cannot be read: permissions, a directory, not UTF-8, too large.
        public static let unreadable = Code(.unreadable)
        /// The text is not well-formed YAML, or holds more than one document.
        public static let syntax = Code(.syntax)
        /// One mapping names the same key twice.
        public static let duplicateKey = Code(.duplicateKey)
        /// A key that probed does not know (often a typo; the message suggests the nearest known key).
        public static let unknownKey = Code(.unknownKey)
        /// A required key is absent (a pool with neither `range` nor `prefix`).
        public static let missingKey = Code(.missingKey)
        /// A value of the wrong YAML type: a string where an integer belongs, a list where a mapping belongs.
        public static let wrongType = Code(.wrongType)
        /// A number outside its allowed range.
        public static let outOfRange = Code(.outOfRange)
        /// A value of the right type that does not parse or does not make sense (a bad mode, prefix, range).
        public static let invalidValue = Code(.invalidValue)
        /// A pool that is not inside `policy.allow`.
        public static let outsidePolicy = Code(.outsidePolicy)

        /// The code as a snake_case word, e.g. `out_of_range`.
        public var description: String { base.rawValue }
    }

    /// The kind of problem.
    public var code: Code
    /// The file name as given to ``Configuration/load(path:)`` or ``Configuration/parse(yaml:fileName:)``.
    public var fileName: String
    /// The key path of the offending value, e.g. `probe.timeout_ms` or `pools[1].refresh_s`; empty when the
    /// problem is not about one key (a syntax error, an unreadable file).
    public var keyPath: String
    /// The 1-based line of the offending value, when known.
    public var line: Int?
    /// The 1-based column of the offending value, when known.
    public var column: Int?
    /// What is wrong, for a person: `must be an integer from 1 to 10000 (got 0)`.
    public var message: String

    /// Creates an error.
    public init(
        code: Code,
        fileName: String,
        keyPath: String = "",
        line: Int? = nil,
        column: Int? = nil,
        message: String
    ) {
        self.code = code
        self.fileName = fileName
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE: KEY.PATH: MESSAGE`, leaving out the parts that are unknown.
    public var description: String {
        var text = fileName
        if let line {
            text += ":\(line)"
        }
        text += ": "
        if !keyPath.isEmpty {
            text += "\(keyPath): "
        }
        return text + message
    }
}
