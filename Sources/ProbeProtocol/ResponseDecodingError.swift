/// Why an answer line from the daemon could not be read (a client-side error).
public struct ResponseDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the line.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "malformed answer from probed: \(message)" }
}
