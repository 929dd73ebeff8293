/// Why a JSON text was refused, and where.
public struct JSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `invalid UTF-8` or `unexpected data after the JSON value`.
    public var message: String
    /// The byte offset in the input where the problem was found.
    public var offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
