/// Why a text is not the value it should be (an address, a prefix, a pool, an endpoint), said for an
/// operator; the decoder turns it into a ``ConfigurationError`` with the key path and line.
struct TextProblem: Error {
    var code: ConfigurationError.Code
    var message: String

    init(_ message: String, code: ConfigurationError.Code = .invalidValue) {
        self.code = code
        self.message = message
    }
}
