import ProbeProtocol
import Yams

/// Decodes a composed YAML tree into a ``Configuration``, key by key, strictly.
///
/// Absent keys keep their defaults; the first problem found is thrown. The allowed ranges live in
/// ``Bounds`` so that the example file, the tests and the code agree.
struct ConfigurationDecoder {
    let fileName: String

    /// The allowed range of every numeric key.
    enum Bounds {
        static let timeoutMilliseconds = 1...10_000
        static let attempts = 1...10
        static let maxPPS = 1...1_000_000
        static let maxInFlight = 1...65_536
        static let neighborMaxAgeSeconds = 1...3_600
        static let ttlSeconds = 1...86_400
        static let maxEntries = 1...10_000_000
        static let refreshSeconds = 1...86_400
        static let poolsMaxPPS = 1...1_000_000
        static let maxConnections = 1...65_536
        static let maxLineBytes = 128...1_048_576
        static let maxPendingPerConnection = 1...65_536
        /// uid_t and gid_t, less `(uid_t)-1`, which means "no id".
        static let id = 0...4_294_967_294
    }

    static let topKeys = [
        "socket", "probe", "cache", "pools", "pools_max_pps", "policy", "limits", "log", "metrics",
    ]

    func decode(root: Node) throws(ConfigurationError) -> Configuration {
        let rootNode = ConfigNode(node: root, path: "", fileName: fileName)
        if !rootNode.isNull, root.mapping == nil {
            throw rootNode.error(
                .wrongType,
                "the file must hold a mapping of sections such as socket: and probe: (got \(rootNode.shown))"
            )
        }
        let top = try rootNode.mapping(keys: Self.topKeys)
        var configuration = Configuration()
        try top.read("socket", into: &configuration.socket) { node throws(ConfigurationError) in try socket(node) }
        try top.read("probe", into: &configuration.probe) { node throws(ConfigurationError) in try probe(node) }
        try top.read("cache", into: &configuration.cache) { node throws(ConfigurationError) in try cache(node) }
        try top.read("policy", into: &configuration.policy) { node throws(ConfigurationError) in try policy(node) }
        try top.read("pools_max_pps", into: &configuration.poolsMaxPPS) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.poolsMaxPPS)
        }
        let (probeSettings, policySettings) = (configuration.probe, configuration.policy)
        try top.read("pools", into: &configuration.pools) { node throws(ConfigurationError) in
            try pools(node, probe: probeSettings, policy: policySettings)
        }
        try top.read("limits", into: &configuration.limits) { node throws(ConfigurationError) in try limits(node) }
        try top.read("log", into: &configuration.log) { node throws(ConfigurationError) in try log(node) }
        try top.read("metrics", into: &configuration.metrics) { node throws(ConfigurationError) in try metrics(node) }

        // pools_max_pps is a share of probe.max_pps; it only matters when there are pools to sweep.
        if !configuration.pools.isEmpty, configuration.poolsMaxPPS > configuration.probe.maxPPS,
            let node = top["pools_max_pps"] ?? top["probe"].flatMap({ $0.mappingValue("max_pps") })
        {
            throw node.error(
                .outOfRange,
                "pools_max_pps (\(configuration.poolsMaxPPS)) must not exceed probe.max_pps "
                    + "(\(configuration.probe.maxPPS)): the sweeps take a share of the probe rate"
            )
        }
        return configuration
    }

    // MARK: Sections

    private func socket(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Socket {
        let keys = ["path", "mode", "group", "allowed_uids", "allowed_gids"]
        let mapping = try node.mapping(keys: keys, what: "a mapping of socket settings")
        var socket = Configuration.Socket()
        try mapping.read("path", into: &socket.path) { node throws(ConfigurationError) in
            let path = try node.string("an absolute path")
            if let problem = Configuration.Socket.pathProblem(path) { throw node.error(.invalidValue, problem) }
            return path
        }
        try mapping.read("mode", into: &socket.mode) { node throws(ConfigurationError) in
            let text = try node.string("an octal mode such as \"0660\"")
            switch Self.parseMode(text) {
            case .success(let mode): return mode
            case .failure(let problem): throw node.error(problem.code, problem.message)
            }
        }
        try mapping.read("group", into: &socket.group) { node throws(ConfigurationError) in
            if node.isNull { return nil }
            let group = try node.string("a group name or id")
            if group.isEmpty || group.contains(where: { $0.isWhitespace || $0 == "\0" || $0 == ":" }) {
                throw node.error(
                    .invalidValue,
                    "must be a group name or numeric id (got \(quoted(group))); "
                        + "leave it out to keep the process's group"
                )
            }
            return group
        }
        try mapping.read("allowed_uids", into: &socket.allowedUIDs) { node throws(ConfigurationError) in
            try ids(node, of: "user ids")
        }
        try mapping.read("allowed_gids", into: &socket.allowedGIDs) { node throws(ConfigurationError) in
            try ids(node, of: "group ids")
        }
        return socket
    }

    private func ids(_ node: ConfigNode, of what: String) throws(ConfigurationError) -> [UInt32] {
        var ids: [UInt32] = []
        for element in try node.list(of: what) {
            ids.append(UInt32(try element.integer(in: Bounds.id)))
        }
        return ids
    }

    /// `0660`, `660` and `0o660` all mean rw-rw----: the text is always octal, as for chmod(1).
    static func parseMode(_ text: String) -> Result<UInt32, TextProblem> {
        var digits = Substring(text)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ ("0"..."7").contains($0) }),
            let mode = UInt32(digits, radix: 8)
        else {
            return .failure(TextProblem("must be an octal mode such as \"0660\" (got \(quoted(text)))"))
        }
        guard mode <= 0o777 else {
            return .failure(
                TextProblem(
                    "must be an octal mode from 0000 to 0777 (got \(quoted(text))); "
                        + "setuid, setgid and sticky bits mean nothing on a socket",
                    code: .outOfRange
                )
            )
        }
        return .success(mode)
    }

    private func probe(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Probe {
        let keys = [
            "timeout_ms", "attempts", "max_pps", "max_in_flight", "neighbor_evidence", "neighbor_max_age_s",
            "neighbor_solicit", "ipv6",
        ]
        let mapping = try node.mapping(keys: keys, what: "a mapping of probe settings")
        var probe = Configuration.Probe()
        try mapping.read("timeout_ms", into: &probe.timeoutMilliseconds) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.timeoutMilliseconds)
        }
        try mapping.read("attempts", into: &probe.attempts) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.attempts)
        }
        try mapping.read("max_pps", into: &probe.maxPPS) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxPPS)
        }
        try mapping.read("max_in_flight", into: &probe.maxInFlight) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxInFlight)
        }
        try mapping.read("neighbor_evidence", into: &probe.neighborEvidence) { node throws(ConfigurationError) in
            try node.bool()
        }
        try mapping.read("neighbor_max_age_s", into: &probe.neighborMaxAgeSeconds) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.neighborMaxAgeSeconds)
        }
        try mapping.read("neighbor_solicit", into: &probe.neighborSolicit) { node throws(ConfigurationError) in
            try node.choice(of: Configuration.NeighborSolicit.self)
        }
        try mapping.read("ipv6", into: &probe.ipv6) { node throws(ConfigurationError) in try node.bool() }
        return probe
    }

    private func cache(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Cache {
        let keys = ["in_use_ttl_s", "free_ttl_s", "max_entries"]
        let mapping = try node.mapping(keys: keys, what: "a mapping of cache settings")
        var cache = Configuration.Cache()
        try mapping.read("in_use_ttl_s", into: &cache.inUseTTLSeconds) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.ttlSeconds)
        }
        try mapping.read("free_ttl_s", into: &cache.freeTTLSeconds) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.ttlSeconds)
        }
        try mapping.read("max_entries", into: &cache.maxEntries) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxEntries)
        }
        return cache
    }

    private func policy(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Policy {
        let mapping = try node.mapping(keys: ["allow"], what: "a mapping with an allow list")
        var policy = Configuration.Policy()
        try mapping.read("allow", into: &policy.allow) { node throws(ConfigurationError) in
            var prefixes: [IPPrefix] = []
            for element in try node.list(of: "CIDR prefixes") {
                let text = try element.string("a CIDR prefix such as 10.0.0.0/8")
                switch Self.parsePrefix(text) {
                case .success(let prefix): prefixes.append(prefix)
                case .failure(let problem): throw element.error(problem.code, problem.message)
                }
            }
            if prefixes.isEmpty {
                throw node.error(.invalidValue, "must list at least one prefix; with none, every request is refused")
            }
            return prefixes
        }
        return policy
    }

    private func limits(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Limits {
        let keys = ["max_connections", "max_line_bytes", "max_pending_per_connection"]
        let mapping = try node.mapping(keys: keys, what: "a mapping of limits")
        var limits = Configuration.Limits()
        try mapping.read("max_connections", into: &limits.maxConnections) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxConnections)
        }
        try mapping.read("max_line_bytes", into: &limits.maxLineBytes) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxLineBytes)
        }
        try mapping.read("max_pending_per_connection", into: &limits.maxPendingPerConnection) {
            node throws(ConfigurationError) in
            try node.integer(in: Bounds.maxPendingPerConnection)
        }
        return limits
    }

    private func log(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Log {
        let mapping = try node.mapping(keys: ["level"], what: "a mapping of log settings")
        var log = Configuration.Log()
        try mapping.read("level", into: &log.level) { node throws(ConfigurationError) in
            try node.choice(of: Configuration.LogLevel.self)
        }
        return log
    }

    private func metrics(_ node: ConfigNode) throws(ConfigurationError) -> Configuration.Metrics {
        let mapping = try node.mapping(keys: ["listen"], what: "a mapping of metrics settings")
        var metrics = Configuration.Metrics()
        try mapping.read("listen", into: &metrics.listen) { node throws(ConfigurationError) in
            let text = try node.string("host:port, or \"\" for off")
            if text.isEmpty { return text }
            if case .failure(let problem) = Configuration.Endpoint.parse(text) {
                throw node.error(problem.code, problem.message)
            }
            return text
        }
        return metrics
    }
}

extension ConfigNode {
    /// The value at `key` when this node is a mapping that has it (for cross-key messages).
    func mappingValue(_ key: String) -> ConfigNode? {
        guard case .mapping(let mapping) = node,
            let value = mapping.first(where: { $0.key.scalar?.string == key })?.value
        else { return nil }
        return child(key, value)
    }
}
