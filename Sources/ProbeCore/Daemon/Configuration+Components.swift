package import Logging
package import ProbeConfig
import ProbeProtocol

extension EchoEngine.Configuration {
    /// The engine's share of the daemon configuration.
    init(_ configuration: Configuration) {
        self.init(
            maxPacketsPerSecond: configuration.probe.maxPPS,
            maxInFlight: configuration.probe.maxInFlight,
            ipv6: configuration.probe.ipv6,
            neighborEvidence: configuration.probe.neighborEvidence,
            neighborMaxAge: configuration.probe.neighborMaxAge,
            neighborSolicit: configuration.probe.neighborSolicit == .auto
        )
    }
}

extension QueryServerLimits {
    /// The server's share of the daemon configuration.
    init(_ configuration: Configuration) {
        self.init(
            maxConnections: configuration.limits.maxConnections,
            maxLineBytes: configuration.limits.maxLineBytes,
            maxPendingPerConnection: configuration.limits.maxPendingPerConnection,
            peers: PeerPolicy(allowedUIDs: configuration.socket.allowedUIDs, allowedGIDs: configuration.socket.allowedGIDs)
        )
    }
}

extension Configuration.LogLevel {
    /// The swift-log level of a configured level name.
    package var loggerLevel: Logger.Level {
        Logger.Level(rawValue: rawValue) ?? .info
    }
}

extension Checker.Configuration {
    /// The checker's share of the daemon configuration.
    init(_ configuration: Configuration) {
        self.init(
            allow: configuration.policy.allow,
            timeoutMilliseconds: configuration.probe.timeoutMilliseconds,
            attempts: configuration.probe.attempts,
            inUseTTLSeconds: configuration.cache.inUseTTLSeconds,
            freeTTLSeconds: configuration.cache.freeTTLSeconds,
            maxEntries: configuration.cache.maxEntries
        )
    }
}
