/// One answer line of wire protocol v1, with the id it answers under.
///
/// The daemon writes answers with ``encode(into:)``; a client reads them with
/// ``decode(_:expecting:)``.
public enum Response: Hashable, Sendable {
    /// The verdict of a `check`.
    case verdict(Verdict, id: ResponseID)
    /// The answer of a `pick`.
    case pick(PickAnswer, id: ResponseID)
    /// `{"ok":true}`: the answer of a `mark`.
    case ok(id: ResponseID)
    /// `{"ok":true,"removed":N}`: the answer of a `forget`.
    case removed(Int, id: ResponseID)
    /// `{"ok":true,"stats":{…}}`: the answer of `stats`, an object the daemon builds.
    case stats(JSONValue, id: ResponseID)
    /// `{"ok":true,"version":…,"protocol":1,…}`: the answer of `info`. The members of the object
    /// are written at the top level of the answer, after `id` and `ok`.
    case info(JSONValue, id: ResponseID)
    /// `{"ok":false,"error":{"code":…,"message":…}}`.
    case error(ProbeError, id: ResponseID)

    /// The id the answer carries.
    public var id: ResponseID {
        switch self {
        case .verdict(_, let id), .pick(_, let id), .ok(let id), .removed(_, let id), .stats(_, let id),
            .info(_, let id), .error(_, let id):
            id
        }
    }

    /// `ok` on the wire: `false` only for ``error(_:id:)``.
    public var isSuccess: Bool {
        if case .error = self { return false }
        return true
    }
}
