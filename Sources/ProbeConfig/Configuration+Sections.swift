public import ProbeProtocol

extension Configuration {
    /// `socket`: the Unix socket the daemon listens on, and who may talk to it.
    public struct Socket: Sendable, Equatable {
        /// `socket.path`: absolute, at most 107 bytes. Default `/run/probed/probed.sock`.
        public var path = "/run/probed/probed.sock"
        /// `socket.mode`: the socket file's permission bits (`mode_t`), written as an octal string. Default 0o660.
        public var mode: UInt32 = 0o660
        /// `socket.group`: the group (name or numeric id) to give the socket file; `nil` keeps the process's group.
        public var group: String?
        /// `socket.allowed_uids`: peer user ids allowed to query; empty allows any peer that can open the socket.
        public var allowedUIDs: [UInt32] = []
        /// `socket.allowed_gids`: peer group ids allowed to query; empty allows any peer that can open the socket.
        public var allowedGIDs: [UInt32] = []

        /// The defaults.
        public init() {}

        /// Why `path` cannot be a socket path (for `--socket` as for the file), or `nil` when it can:
        /// it must be absolute, hold no NUL, and fit `sun_path` (at most 107 bytes).
        public static func pathProblem(_ path: String) -> String? {
            if !path.hasPrefix("/") {
                return "must be an absolute path (got \(quoted(path)))"
            }
            if path.utf8.contains(0) {
                return "must not contain a NUL byte"
            }
            if path.utf8.count > 107 {
                return "must be at most 107 bytes long, the limit of a Unix socket address (got \(path.utf8.count))"
            }
            return nil
        }
    }

    /// `probe`: how echo probes are sent and judged.
    public struct Probe: Sendable, Equatable {
        /// `probe.timeout_ms`: the default deadline of a check, 1–10000 ms. Default 300.
        public var timeoutMilliseconds = 300
        /// `probe.attempts`: echo requests spread over the deadline, 1–10. Default 2.
        public var attempts = 2
        /// `probe.max_pps`: echo requests per second, all families and pool sweeps together. Default 20000.
        public var maxPPS = 20_000
        /// `probe.max_in_flight`: probes outstanding at once, at most 65536 (the 16-bit ICMP sequence space
        /// of one socket); past it a check is `overloaded`. Default 30000.
        public var maxInFlight = 30_000
        /// `probe.neighbor_evidence`: whether a fresh ARP/NDP neighbour entry counts as `in_use`. Default true.
        public var neighborEvidence = true
        /// `probe.neighbor_max_age_s`: how recently a neighbour entry must have been confirmed to count. Default 30.
        public var neighborMaxAgeSeconds = 30
        /// `probe.neighbor_solicit`: whether to send ARP probes and Neighbor Solicitations of our own
        /// to on-link targets (needs `CAP_NET_RAW`). Default ``NeighborSolicit/auto``.
        public var neighborSolicit = NeighborSolicit.auto
        /// `probe.ipv6`: whether to probe IPv6 targets at all. Default true.
        public var ipv6 = true

        /// The defaults.
        public init() {}

        /// ``timeoutMilliseconds`` as a duration.
        public var timeout: Duration { .milliseconds(timeoutMilliseconds) }
        /// ``neighborMaxAgeSeconds`` as a duration.
        public var neighborMaxAge: Duration { .seconds(neighborMaxAgeSeconds) }
    }

    /// `cache`: how long verdicts are kept.
    public struct Cache: Sendable, Equatable {
        /// `cache.in_use_ttl_s`: how long an `in_use` verdict is served from the cache. Default 60.
        public var inUseTTLSeconds = 60
        /// `cache.free_ttl_s`: how long a `free` verdict is served from the cache. Default 10.
        public var freeTTLSeconds = 10
        /// `cache.max_entries`: verdicts kept at most. Default 200000.
        public var maxEntries = 200_000

        /// The defaults.
        public init() {}

        /// ``inUseTTLSeconds`` as a duration.
        public var inUseTTL: Duration { .seconds(inUseTTLSeconds) }
        /// ``freeTTLSeconds`` as a duration.
        public var freeTTL: Duration { .seconds(freeTTLSeconds) }
    }

    /// `policy`: which addresses may be probed.
    public struct Policy: Sendable, Equatable {
        /// The default `policy.allow`, as config/probed.yaml lists it: private, shared, link-local and
        /// loopback space of both families.
        public static let defaultAllow: [IPPrefix] = [
            "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
            "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128",
        ].map { IPPrefix($0)! }

        /// `policy.allow`: the prefixes whose addresses may be checked, picked, marked and swept. Never empty
        /// when decoded from a file. Unspecified, multicast and limited-broadcast addresses are refused by the
        /// daemon even where these prefixes cover them.
        public var allow: [IPPrefix] = Policy.defaultAllow

        /// The defaults.
        public init() {}

        /// Whether some prefix of ``allow`` holds `address` (the special addresses above are not judged here).
        public func allows(_ address: IPAddress) -> Bool {
            allow.contains { $0.contains(address) }
        }
    }

    /// `limits`: bounds on clients of the query socket.
    public struct Limits: Sendable, Equatable {
        /// `limits.max_connections`: client connections at once; one more gets `overloaded` and is closed. Default 512.
        public var maxConnections = 512
        /// `limits.max_line_bytes`: the longest request line; a longer one is `too_large`. Default 4096.
        public var maxLineBytes = 4096
        /// `limits.max_pending_per_connection`: unanswered requests per connection before `overloaded`. Default 4096.
        public var maxPendingPerConnection = 4096

        /// The defaults.
        public init() {}
    }

    /// `log`: logging.
    public struct Log: Sendable, Equatable {
        /// `log.level`: the lowest level logged. Default ``LogLevel/info``.
        public var level = LogLevel.info

        /// The defaults.
        public init() {}
    }

    /// A log level; the raw values are swift-log's `Logger.Level` raw values, so
    /// `Logger.Level(rawValue: level.rawValue)` converts.
    /// `probe.neighbor_solicit`.
    public enum NeighborSolicit: String, Sendable, Equatable, CaseIterable {
        /// ARP probes and Neighbor Solicitations alongside the first echo of an on-link target,
        /// where the process holds `CAP_NET_RAW`; nothing otherwise.
        case auto
        /// Never.
        case off
    }

    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        case trace
        case debug
        case info
        case notice
        case warning
        case error
        case critical
    }

    /// `metrics`: the optional Prometheus endpoint.
    public struct Metrics: Sendable, Equatable {
        /// `metrics.listen`: `host:port` (IPv6 in brackets, `[::1]:9469`) to serve Prometheus text at
        /// `/metrics`; empty (the default) is off.
        public var listen = ""

        /// The defaults.
        public init() {}

        /// ``listen`` split into host and port; `nil` when metrics are off or the text is not `host:port`.
        public var endpoint: Endpoint? {
            guard case .success(let endpoint) = Endpoint.parse(listen) else { return nil }
            return endpoint
        }
    }
}

/// `text` in double quotes, for messages.
func quoted(_ text: String) -> String {
    "\"\(text)\""
}
