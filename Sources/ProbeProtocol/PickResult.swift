/// One entry of a `pick`'s `results`: the candidate's verdict, or `pending` when its probe had not
/// settled when the choice was made (the probe runs on and its verdict lands in the cache).
public enum PickResult: Hashable, Sendable {
    /// The verdict, settled when the choice was made.
    case settled(Verdict)
    /// `{"addr":…,"state":"pending"}`.
    case pending(IPAddress)

    /// The candidate address.
    public var addr: IPAddress {
        switch self {
        case .settled(let verdict): verdict.addr
        case .pending(let address): address
        }
    }

    /// The verdict, when settled.
    public var verdict: Verdict? {
        if case .settled(let verdict) = self { return verdict }
        return nil
    }

    /// The most bytes ``encode(into:)`` writes.
    var maxEncodedCount: Int {
        switch self {
        case .settled(let verdict): verdict.maxFieldsCount + 2
        case .pending(let address): address.maxJSONStringCount + 32
        }
    }

    func encode(into bytes: inout some ByteSink) {
        switch self {
        case .settled(let verdict):
            bytes.append(UInt8(ascii: "{"))
            verdict.encodeFields(into: &bytes)
            bytes.append(UInt8(ascii: "}"))
        case .pending(let address):
            bytes.appendLiteral(#"{"addr":"#)
            address.writeJSONString(to: &bytes)
            bytes.appendLiteral(#","state":"pending"}"#)
        }
    }
}
