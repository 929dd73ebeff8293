package import ProbeProtocol

/// What the query server asks for each well-formed request: the daemon's dispatcher in
/// production, something small in the server's own tests.
package protocol QueryHandler: Sendable {
    /// Answers `request` without a task when it can: calls `reply` once — at once, on the calling
    /// thread (the connection's event loop), when nothing needs waiting for (a cache hit, a
    /// refusal, `info`), or later from any thread (a check waiting for its probe) — and returns
    /// true. Returns false, without calling `reply`, when the request needs ``handle(_:receivedAt:)``.
    ///
    /// - Parameter receivedAt: when the request was read (``MonotonicTime``): deadlines count from it.
    func answer(_ request: Request, receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> Bool

    /// Answers the requests read together (one read of a connection) like
    /// ``answer(_:receivedAt:reply:)``, each through `reply` (the answers carry the requests'
    /// ids), sharing the locks they take.
    ///
    /// - Returns: the requests it declined, for ``handle(_:receivedAt:)``.
    func answer(_ requests: [Request], receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> [Request]

    /// Answers a request that ``answer(_:receivedAt:reply:)`` declined, in a task of the
    /// connection's. Never throws: every failure is a ``ProbeProtocol/Response/error(_:id:)``.
    ///
    /// - Parameter receivedAt: when the request was read (``MonotonicTime``): deadlines count from
    ///   it, not from when the task got to run.
    func handle(_ request: Request, receivedAt: UInt64) async -> Response
}

extension QueryHandler {
    package func answer(_ request: Request, receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> Bool { false }

    package func answer(_ requests: [Request], receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> [Request] {
        requests.filter { !answer($0, receivedAt: receivedAt, reply: reply) }
    }
}
