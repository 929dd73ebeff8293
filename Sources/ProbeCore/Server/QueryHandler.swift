package import ProbeProtocol

/// What the query server asks for each well-formed request: the daemon's dispatcher in
/// production, something small in the server's own tests.
package protocol QueryHandler: Sendable {
    /// Answers one request. Never throws: every failure is a ``ProbeProtocol/Response/error(_:id:)``.
    func handle(_ request: Request) async -> Response

    /// Answers a request at once when that needs no waiting (a cache hit, a refusal, `info`), or
    /// returns nil; the server then calls ``handle(_:)`` in a task of its own.
    func answerImmediately(_ request: Request) -> Response?
}

extension QueryHandler {
    package func answerImmediately(_ request: Request) -> Response? { nil }
}
