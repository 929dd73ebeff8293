/// The fields of a `mark`: an address, the state to record, and for how long.
public struct MarkRequest: Hashable, Sendable {
    /// The address to mark.
    public var addr: IPAddress
    /// ``VerdictState/inUse`` or ``VerdictState/free`` (the decoder refuses `unknown`).
    public var state: VerdictState
    /// `ttl_ms` (positive); `nil`: the cache TTL of that state.
    public var ttlMilliseconds: Int?

    public init(addr: IPAddress, state: VerdictState, ttlMilliseconds: Int? = nil) {
        self.addr = addr
        self.state = state
        self.ttlMilliseconds = ttlMilliseconds
    }
}
