import ProbeProtocol

/// One answer from the daemon, matched to the request it answers.
struct DaemonAnswer: Sendable {
    /// The position of the request in the sequence given to ``DaemonConnection/exchange(_:window:handle:)``
    /// (its wire id minus one).
    let index: Int
    /// The answer line exactly as received, without its line feed; `--json` prints it.
    let line: [UInt8]
    /// The decoded answer, or why it could not be decoded.
    let response: Result<Response, ResponseDecodingError>

    /// The daemon's error answer, if it is one.
    var error: ProbeError? {
        if case .success(.error(let error, _)) = response { return error }
        return nil
    }
}
