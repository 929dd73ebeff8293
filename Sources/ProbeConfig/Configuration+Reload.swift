extension Configuration {
    /// The keys whose new values a reload (SIGHUP) cannot apply, because they need a socket opened,
    /// closed or rebound: those among `socket.*`, `probe.ipv6` and `metrics.listen` that differ between
    /// `running` and this (newly loaded) configuration. Everything else (the rest of `probe`, `cache`,
    /// `pools`, `pools_max_pps`, `policy`, `limits`, `log`) can change in place (docs/operations.md,
    /// "Reloading (SIGHUP)").
    ///
    /// A daemon logs these ("socket.path changed; restart to apply") and keeps the running values.
    ///
    /// - Parameter running: The configuration in force.
    /// - Returns: Key paths such as `socket.path`, in file order; empty when a reload applies fully.
    public func keysNeedingRestart(comparedTo running: Configuration) -> [String] {
        var keys: [String] = []
        if socket.path != running.socket.path { keys.append("socket.path") }
        if socket.mode != running.socket.mode { keys.append("socket.mode") }
        if socket.group != running.socket.group { keys.append("socket.group") }
        if probe.ipv6 != running.probe.ipv6 { keys.append("probe.ipv6") }
        if metrics.listen != running.metrics.listen { keys.append("metrics.listen") }
        return keys
    }
}
