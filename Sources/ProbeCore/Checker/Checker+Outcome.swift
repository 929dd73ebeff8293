import ProbeProtocol

extension Checker {
    /// The answer that a probe's outcome gives about `address`: a fresh verdict (`cached: false`,
    /// `age_ms: 0`), or the error of a probe the engine refused.
    ///
    /// reply → `in_use`/`echo_reply` with `rtt_us`; neighbour → `in_use`/`neighbor` with `mac`;
    /// timeout → `free`/`timeout`; unreachable → `free`/`unreachable`; send failed → `unknown`/
    /// `send_failed` with the reason; not sent → `unknown`/`not_sent` with the reason; overloaded →
    /// error `overloaded`; unavailable → error `unavailable`.
    static func answer(for address: IPAddress, outcome: ProbeOutcome.Result) -> Result<Verdict, ProbeError> {
        switch outcome {
        case .reply(let rttMicroseconds):
            .success(Verdict(addr: address, state: .inUse, evidence: .echoReply, rttMicroseconds: rttMicroseconds))
        case .neighbor(let mac):
            .success(Verdict(addr: address, state: .inUse, evidence: .neighbor, mac: mac))
        case .timeout:
            .success(Verdict(addr: address, state: .free, evidence: .timeout))
        case .unreachable:
            .success(Verdict(addr: address, state: .free, evidence: .unreachable))
        case .sendFailed(let reason):
            .success(Verdict(addr: address, state: .unknown, evidence: .sendFailed, reason: reason))
        case .notSent(let reason):
            .success(Verdict(addr: address, state: .unknown, evidence: .notSent, reason: reason))
        case .overloaded:
            .failure(.overloaded("too many probes in flight"))
        case .unavailable(let reason):
            .failure(.unavailable(reason))
        }
    }
}
