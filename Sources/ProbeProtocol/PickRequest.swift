/// The fields of a `pick`: candidates in preference order and the probe options.
public struct PickRequest: Hashable, Sendable {
    /// The candidates (1–64), in preference order.
    public var addrs: [IPAddress]
    /// `timeout_ms`, as in ``CheckRequest``.
    public var timeoutMilliseconds: Int?
    /// `attempts`, as in ``CheckRequest``.
    public var attempts: Int?
    /// `max_age_ms`, as in ``CheckRequest``.
    public var maxAgeMilliseconds: Int?

    public init(
        addrs: [IPAddress],
        timeoutMilliseconds: Int? = nil,
        attempts: Int? = nil,
        maxAgeMilliseconds: Int? = nil
    ) {
        self.addrs = addrs
        self.timeoutMilliseconds = timeoutMilliseconds
        self.attempts = attempts
        self.maxAgeMilliseconds = maxAgeMilliseconds
    }
}
