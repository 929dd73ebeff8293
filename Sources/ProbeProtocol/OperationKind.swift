/// The `op` of a request, as written on the wire.
public enum OperationKind: String, Hashable, Sendable, CaseIterable {
    case check
    case pick
    case mark
    case forget
    case stats
    case info
}
