/// The fields of a `check`: one address and the probe options.
public struct CheckRequest: Hashable, Sendable {
    /// The address to check.
    public var addr: IPAddress
    /// `timeout_ms` (1–10000); `nil`: the daemon's `probe.timeout_ms`.
    public var timeoutMilliseconds: Int?
    /// `attempts` (1–10); `nil`: the daemon's `probe.attempts`.
    public var attempts: Int?
    /// `max_age_ms` (≥ 0): accept a cached probe verdict no older than this; 0: probe afresh
    /// (sharing a probe in flight); `nil`: any verdict still within its TTL.
    public var maxAgeMilliseconds: Int?

    public init(addr: IPAddress, timeoutMilliseconds: Int? = nil, attempts: Int? = nil, maxAgeMilliseconds: Int? = nil)
    {
        self.addr = addr
        self.timeoutMilliseconds = timeoutMilliseconds
        self.attempts = attempts
        self.maxAgeMilliseconds = maxAgeMilliseconds
    }
}
