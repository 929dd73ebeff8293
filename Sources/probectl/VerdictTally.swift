import ProbeProtocol

/// Counts the answers to checks by outcome, and turns them into the exit status of `check` and
/// `sweep`: 0 when every address is free, 1 when at least one is in use and none is unknown or
/// refused, 2 when any is unknown or refused.
struct VerdictTally: Hashable, Sendable {
    var inUse = 0
    var free = 0
    var unknown = 0
    /// Error answers (`not_allowed`, `overloaded`, …) and answers that could not be read.
    var refused = 0

    /// Every answer counted.
    var total: Int { inUse + free + unknown + refused }

    /// Counts one answer.
    mutating func count(_ answer: DaemonAnswer) {
        if case .success(.verdict(let verdict, _)) = answer.response {
            count(verdict.state)
        } else {
            refused += 1
        }
    }

    /// Counts one verdict state.
    mutating func count(_ state: VerdictState) {
        switch state {
        case .inUse: inUse += 1
        case .free: free += 1
        case .unknown: unknown += 1
        }
    }

    /// 0, 1 or 2 (see the type's documentation).
    var exitStatus: Int32 {
        if unknown > 0 || refused > 0 { return 2 }
        return inUse > 0 ? 1 : 0
    }

    /// `254 addresses: 3 in use, 250 free, 1 unknown`, with `, N refused` when any was.
    var summary: String {
        var text =
            "\(Format.plural(total, "address", "addresses")): \(Format.count(inUse)) in use, "
            + "\(Format.count(free)) free, \(Format.count(unknown)) unknown"
        if refused > 0 { text += ", \(Format.count(refused)) refused" }
        return text
    }
}
