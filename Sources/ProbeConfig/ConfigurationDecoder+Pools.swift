import ProbeProtocol

extension ConfigurationDecoder {
    /// `pools` (docs/pools.md): each names exactly one of `range` or `prefix`, holds at most 65,536
    /// addresses, lies inside `policy.allow`, holds no address that is never probed (unspecified,
    /// multicast, limited broadcast), and overlaps no other pool.
    func pools(
        _ node: ConfigNode,
        probe: Configuration.Probe,
        policy: Configuration.Policy
    ) throws(ConfigurationError) -> [Configuration.Pool] {
        var pools: [Configuration.Pool] = []
        for element in try node.list(of: "pools, such as {prefix: \"198.51.100.0/24\", refresh_s: 10}") {
            let pool = try pool(element)
            try check(pool, of: element, probe: probe, policy: policy)
            if let other = pools.firstIndex(where: { $0.family == pool.family && $0.bounds.overlaps(pool.bounds) }) {
                throw element.error(.invalidValue, "\(pool) overlaps pools[\(other)] (\(pools[other]))")
            }
            pools.append(pool)
        }
        return pools
    }

    private func pool(_ element: ConfigNode) throws(ConfigurationError) -> Configuration.Pool {
        let mapping = try element.mapping(
            keys: ["range", "prefix", "refresh_s"],
            what: "a mapping with a range or a prefix, and an optional refresh_s"
        )
        var refreshSeconds = 10
        try mapping.read("refresh_s", into: &refreshSeconds) { node throws(ConfigurationError) in
            try node.integer(in: Bounds.refreshSeconds)
        }
        let source: Configuration.Pool.Source
        let sourceNode: ConfigNode
        switch (mapping["range"], mapping["prefix"]) {
        case (.some, .some):
            throw element.error(.invalidValue, "names both a range and a prefix; give exactly one")
        case (.none, .none):
            throw element.error(
                .missingKey,
                "needs a range (\"198.51.100.50-198.51.100.99\") or a prefix (\"198.51.100.0/24\")"
            )
        case (.some(let node), .none):
            sourceNode = node
            let text = try node.string("a range such as \"198.51.100.50-198.51.100.99\"")
            switch Self.parseRange(text) {
            case .success(let range): source = .range(range)
            case .failure(let problem): throw node.error(problem.code, problem.message)
            }
        case (.none, .some(let node)):
            sourceNode = node
            let text = try node.string("a CIDR prefix such as \"198.51.100.0/24\"")
            switch Self.parsePrefix(text) {
            case .success(let prefix): source = .prefix(prefix)
            case .failure(let problem): throw node.error(problem.code, problem.message)
            }
        }
        switch Configuration.Pool.make(source, refreshSeconds: refreshSeconds) {
        case .success(let pool): return pool
        case .failure(let problem): throw sourceNode.error(problem.code, problem.message)
        }
    }

    /// The checks that need the rest of the configuration, or that hold for both ways of writing a pool.
    private func check(
        _ pool: Configuration.Pool,
        of element: ConfigNode,
        probe: Configuration.Probe,
        policy: Configuration.Policy
    ) throws(ConfigurationError) {
        // Errors about the whole pool name `pools[i]` but point at the line of its range or prefix.
        let valueNode = element.mappingValue("range") ?? element.mappingValue("prefix")
        let at = ConfigNode(node: valueNode?.node ?? element.node, path: element.path, fileName: fileName)
        if pool.family == .ipv6, !probe.ipv6 {
            throw at.error(.invalidValue, "\(pool) is an IPv6 pool, but probe.ipv6 is false")
        }
        for (family, never, name) in Self.neverProbed where family == pool.family && never.overlaps(pool.bounds) {
            throw at.error(.invalidValue, "\(pool) includes \(name), which is never probed")
        }
        let allowed = policy.allow.filter { $0.family == pool.family }.map { AddressMath.bounds(of: $0.range) }
        if !Self.covers(allowed, pool.bounds) {
            throw at.error(.outsidePolicy, "\(pool) is outside policy.allow")
        }
    }

    /// Addresses the daemon refuses even where `policy.allow` covers them.
    private static let neverProbed: [(IPFamily, ClosedRange<UInt128>, String)] = [
        (.ipv4, 0...0, "the unspecified address 0.0.0.0"),
        (.ipv4, 0xE000_0000...0xEFFF_FFFF, "multicast addresses (224.0.0.0/4)"),
        (.ipv4, 0xFFFF_FFFF...0xFFFF_FFFF, "the limited broadcast address 255.255.255.255"),
        (.ipv6, 0...0, "the unspecified address ::"),
        (.ipv6, (UInt128(0xFF) << 120)...UInt128.max, "multicast addresses (ff00::/8)"),
    ]

    /// Whether the union of `ranges` holds every number of `target`.
    static func covers(_ ranges: [ClosedRange<UInt128>], _ target: ClosedRange<UInt128>) -> Bool {
        var next = target.lowerBound  // the lowest number not yet known to be covered
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.upperBound < next { continue }
            if range.lowerBound > next { return false }
            if range.upperBound >= target.upperBound { return true }
            next = range.upperBound + 1
        }
        return false
    }
}
