package import ProbeProtocol

/// What the query server asks for each well-formed request: the daemon's dispatcher in
/// production, something small in the server's own tests.
package protocol QueryHandler: Sendable {
    /// Answers one request. Never throws: every failure is a ``ProbeProtocol/Response/error(_:id:)``.
    func handle(_ request: Request) async -> Response
}
