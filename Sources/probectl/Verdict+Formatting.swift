import ProbeProtocol

extension Verdict {
    /// The cells of a verdict line: address, state, evidence and the details
    /// (`198.51.100.10  in_use  echo_reply  rtt 0.412 ms`).
    var cells: [String] {
        [addr.description, state.rawValue, evidence.rawValue, details]
    }

    /// What else the verdict says, comma-separated: round-trip time, MAC, reason, cache age.
    var details: String {
        var parts: [String] = []
        if let rttMicroseconds { parts.append("rtt \(Format.roundTrip(microseconds: rttMicroseconds))") }
        if let mac { parts.append("mac \(mac)") }
        if let reason { parts.append(reason) }
        if cached { parts.append("cached, \(Format.age(milliseconds: ageMilliseconds)) old") }
        return parts.joined(separator: ", ")
    }
}

extension DaemonAnswer {
    /// The line printed on standard error for an answer that is not a verdict or other success:
    /// `203.0.113.9: not_allowed: 203.0.113.9 is outside the allowed prefixes`.
    func failureText(subject: String) -> String? {
        switch response {
        case .success(.error(let error, _)): "\(subject): \(error.code.rawValue): \(error.message)"
        case .success: nil
        case .failure(let error): "\(subject): \(error)"
        }
    }
}
