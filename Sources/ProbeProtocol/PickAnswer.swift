/// The answer to a `pick`: the chosen address and one result per candidate, in the given order.
///
/// `{"id":3,"ok":true,"addr":"198.51.100.77","results":[{…verdict…},{"addr":"198.51.100.78","state":"pending"}]}`
public struct PickAnswer: Hashable, Sendable {
    /// The first candidate in order whose verdict is `free`; `nil` (`"addr":null`) when none is.
    public var addr: IPAddress?
    /// One entry per candidate, in the order of the request.
    public var results: [PickResult]

    public init(addr: IPAddress?, results: [PickResult]) {
        self.addr = addr
        self.results = results
    }
}
