import ProbeProtocol

/// What a sweep found: the verdicts of the addresses in use, the unknown ones grouped by cause,
/// the refused ones grouped by error code, and the tally.
struct SweepReport {
    /// A group of addresses that share a cause (an unknown verdict's evidence and reason, or an
    /// error code): how many, the lowest address, and the message of the answer about it.
    struct Group {
        var count = 0
        var first: IPAddress?
        var message = ""

        mutating func add(_ address: IPAddress, message: String = "") {
            count += 1
            if first.map({ address < $0 }) ?? true {
                first = address
                self.message = message
            }
        }
    }

    private(set) var tally = VerdictTally()
    /// The verdicts of the addresses in use, in arrival order.
    private(set) var inUse: [Verdict] = []
    private var unknown: [String: Group] = [:]
    private var refused: [String: Group] = [:]

    /// Counts one answer to the check of `address`.
    mutating func add(_ answer: DaemonAnswer, address: IPAddress) {
        tally.count(answer)
        switch answer.response {
        case .success(.verdict(let verdict, _)):
            switch verdict.state {
            case .inUse: inUse.append(verdict)
            case .free: break
            case .unknown:
                let cause = verdict.evidence.rawValue + (verdict.reason.map { ": \($0)" } ?? "")
                unknown[cause, default: Group()].add(verdict.addr)
            }
        case .success(.error(let error, _)):
            refused[error.code.rawValue, default: Group()].add(address, message: error.message)
        case .success:
            refused["unexpected answer", default: Group()].add(address, message: "not a verdict")
        case .failure(let error):
            refused["malformed answer", default: Group()].add(address, message: error.message)
        }
    }

    /// The report for people: the table of addresses in use (sorted by address), a line per
    /// cause of unknown or refused answers, and the summary line last.
    func lines() -> [String] {
        var output: [String] = []
        if !inUse.isEmpty {
            var table = TextTable()
            table.append(["ADDRESS", "STATE", "EVIDENCE", "RTT", "MAC"])
            for verdict in inUse.sorted(by: { $0.addr < $1.addr }) {
                table.append([
                    verdict.addr.description, verdict.state.rawValue, verdict.evidence.rawValue,
                    verdict.rttMicroseconds.map { Format.roundTrip(microseconds: $0) } ?? "-",
                    verdict.mac ?? "-",
                ])
            }
            output += table.lines()
            output.append("")
        }
        for (cause, group) in Self.ordered(unknown) {
            output.append("unknown (\(cause)): \(Self.describe(group))")
        }
        for (code, group) in Self.ordered(refused) {
            output.append("refused (\(code)): \(Self.describe(group)): \(group.message)")
        }
        output.append(tally.summary)
        return output
    }

    /// Groups by falling count, then by name.
    private static func ordered(_ groups: [String: Group]) -> [(String, Group)] {
        groups.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }

    private static func describe(_ group: Group) -> String {
        let first = group.first?.description ?? "?"
        return group.count == 1 ? first : "\(Format.plural(group.count, "address", "addresses")), first \(first)"
    }
}
