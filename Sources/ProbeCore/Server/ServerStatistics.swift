package import ProbeProtocol

/// Counters of the query server since it started.
package struct ServerStatistics: Sendable, Hashable {
    /// Connections accepted.
    package var connections = 0
    /// Connections open now.
    package var openConnections = 0
    /// Connections refused: over `limits.max_connections` or by the peer policy.
    package var refusedConnections = 0
    /// Request lines received (including bad ones).
    package var requests = 0
    /// Error answers, by code.
    package var errors: [ProbeError.Code: Int] = [:]

    package init() {}
}
