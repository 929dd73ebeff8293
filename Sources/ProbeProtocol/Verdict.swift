/// The verdict about one address, as answered to `check` and listed in a `pick`'s results.
///
/// `{"addr":"198.51.100.10","state":"in_use","evidence":"echo_reply","rtt_us":412,"cached":false,"age_ms":0}`
public struct Verdict: Hashable, Sendable {
    /// The address, canonical on the wire.
    public var addr: IPAddress
    /// `in_use`, `free` or `unknown`.
    public var state: VerdictState
    /// What the state rests on.
    public var evidence: Evidence
    /// `rtt_us`: the round-trip time of the echo reply, in microseconds, when there was one.
    public var rttMicroseconds: Int?
    /// `mac`: the link-layer address from the neighbour table (`02:00:00:00:00:14`), when known.
    public var mac: String?
    /// `reason`: why the state is `unknown` (`network unreachable`), or any other explanation.
    public var reason: String?
    /// `cached`: whether the verdict came from the cache rather than a probe made for this request.
    public var cached: Bool
    /// `age_ms`: how old the verdict is, in milliseconds.
    public var ageMilliseconds: Int

    public init(
        addr: IPAddress,
        state: VerdictState,
        evidence: Evidence,
        rttMicroseconds: Int? = nil,
        mac: String? = nil,
        reason: String? = nil,
        cached: Bool = false,
        ageMilliseconds: Int = 0
    ) {
        self.addr = addr
        self.state = state
        self.evidence = evidence
        self.rttMicroseconds = rttMicroseconds
        self.mac = mac
        self.reason = reason
        self.cached = cached
        self.ageMilliseconds = ageMilliseconds
    }

    /// Appends `"addr":…,"state":…,"evidence":…[,"rtt_us":…][,"mac":…][,"reason":…],"cached":…,"age_ms":…`.
    func encodeFields(into bytes: inout some ByteSink) {
        bytes.appendLiteral(#""addr":"#)
        addr.writeJSONString(to: &bytes)
        bytes.appendLiteral(state.stateMember)
        bytes.appendLiteral(evidence.evidenceMember)
        if let rttMicroseconds {
            bytes.appendLiteral(#","rtt_us":"#)
            JSONWriter.writeInteger(Int64(rttMicroseconds), to: &bytes)
        }
        if let mac {
            bytes.appendLiteral(#","mac":"#)
            JSONWriter.writeString(mac, to: &bytes)
        }
        if let reason {
            bytes.appendLiteral(#","reason":"#)
            JSONWriter.writeString(reason, to: &bytes)
        }
        if cached {
            bytes.appendLiteral(#","cached":true,"age_ms":"#)
        } else {
            bytes.appendLiteral(#","cached":false,"age_ms":"#)
        }
        JSONWriter.writeInteger(Int64(ageMilliseconds), to: &bytes)
    }

    /// The most bytes ``encodeFields(into:)`` writes.
    var maxFieldsCount: Int {
        160 + addr.maxJSONStringCount + (mac.map(JSONWriter.maxStringCount) ?? 0)
            + (reason.map(JSONWriter.maxStringCount) ?? 0)
    }
}
