import ProbeProtocol
import Testing

@testable import probectl

/// Builders of answers as the daemon sends them.
enum Answers {
    static func verdict(
        _ text: String,
        _ state: VerdictState,
        _ evidence: Evidence,
        rtt: Int? = nil,
        mac: String? = nil,
        reason: String? = nil,
        index: Int = 0
    ) -> DaemonAnswer {
        let verdict = Verdict(
            addr: IPAddress(text)!,
            state: state,
            evidence: evidence,
            rttMicroseconds: rtt,
            mac: mac,
            reason: reason
        )
        return DaemonAnswer(
            index: index,
            line: [],
            response: .success(.verdict(verdict, id: .value(.number(Int64(index + 1)))))
        )
    }

    static func error(_ error: ProbeError, index: Int = 0) -> DaemonAnswer {
        DaemonAnswer(index: index, line: [], response: .success(.error(error, id: .value(.number(Int64(index + 1))))))
    }
}

@Suite struct VerdictTallyTests {
    @Test func allFreeIsZero() {
        var tally = VerdictTally()
        tally.count(Answers.verdict("198.51.100.1", .free, .timeout))
        tally.count(Answers.verdict("198.51.100.2", .free, .unreachable))
        #expect(tally.exitStatus == 0)
    }

    @Test func inUseWithoutUnknownIsOne() {
        var tally = VerdictTally()
        tally.count(Answers.verdict("198.51.100.1", .free, .timeout))
        tally.count(Answers.verdict("198.51.100.2", .inUse, .echoReply))
        #expect(tally.exitStatus == 1)
    }

    @Test func unknownOrRefusedIsTwo() {
        var unknown = VerdictTally()
        unknown.count(Answers.verdict("198.51.100.2", .inUse, .echoReply))
        unknown.count(Answers.verdict("100.64.0.5", .unknown, .sendFailed))
        #expect(unknown.exitStatus == 2)
        var refused = VerdictTally()
        refused.count(Answers.verdict("198.51.100.1", .free, .timeout))
        refused.count(Answers.error(.notAllowed("203.0.113.9 is outside the allowed prefixes")))
        #expect(refused.exitStatus == 2)
        let malformed = DaemonAnswer(index: 0, line: [], response: .failure(ResponseDecodingError("missing state")))
        var broken = VerdictTally()
        broken.count(malformed)
        #expect(broken.exitStatus == 2)
    }

    @Test func summary() {
        var tally = VerdictTally(inUse: 3, free: 1_250, unknown: 1)
        #expect(tally.summary == "1,254 addresses: 3 in use, 1,250 free, 1 unknown")
        tally.refused = 2
        #expect(tally.summary == "1,256 addresses: 3 in use, 1,250 free, 1 unknown, 2 refused")
    }
}

@Suite struct SweepTests {
    @Test(arguments: [
        ("10.0.0.0/16", true), ("10.0.0.0/15", false), ("198.51.100.7", true), ("0.0.0.0/0", false),
        ("2001:db8::/112", true), ("2001:db8::/111", false), ("::/0", false),
    ])
    func sizeLimits(text: String, allowed: Bool) throws {
        let prefix = try #require(IPPrefix(text))
        #expect((SweepCommand.sizeProblem(prefix) == nil) == allowed)
    }

    @Test func tooLargeMessageNamesTheSizeAndTheLimit() throws {
        let problem = SweepCommand.sizeProblem(try #require(IPPrefix("10.0.0.0/8")))
        #expect(
            problem
                == "10.0.0.0/8 is too large to sweep (16,777,214 addresses); "
                + "sweep at most /16 (65,536 addresses) at a time"
        )
    }

    @Test func reportListsInUseSortedThenCausesThenSummary() {
        var report = SweepReport()
        let answers = [
            Answers.verdict("198.51.100.20", .inUse, .neighbor, mac: "02:00:00:00:00:14"),
            Answers.verdict("198.51.100.9", .free, .timeout),
            Answers.verdict("198.51.100.10", .inUse, .echoReply, rtt: 412),
            Answers.verdict("198.51.100.33", .unknown, .notSent, reason: "not sent in time"),
            Answers.verdict("198.51.100.31", .unknown, .notSent, reason: "not sent in time"),
            Answers.error(.overloaded("too many probes in flight")),
        ]
        for answer in answers {
            report.add(answer, address: IPAddress("198.51.100.44")!)
        }
        #expect(
            report.lines() == [
                "ADDRESS        STATE   EVIDENCE    RTT       MAC",
                "198.51.100.10  in_use  echo_reply  0.412 ms  -",
                "198.51.100.20  in_use  neighbor    -         02:00:00:00:00:14",
                "",
                "unknown (not_sent: not sent in time): 2 addresses, first 198.51.100.31",
                "refused (overloaded): 198.51.100.44: too many probes in flight",
                "6 addresses: 2 in use, 1 free, 2 unknown, 1 refused",
            ]
        )
        #expect(report.tally.exitStatus == 2)
    }

    @Test func reportOfAFreePrefixIsTheSummaryAlone() {
        var report = SweepReport()
        report.add(Answers.verdict("198.51.100.1", .free, .timeout), address: IPAddress("198.51.100.1")!)
        #expect(report.lines() == ["1 address: 0 in use, 1 free, 0 unknown"])
    }
}

@Suite struct ProgressBarTests {
    @Test func fitsTheTerminalWidth() {
        for width in [20, 40, 80, 200] {
            let text = ProgressBar.render(
                label: "sweeping 10.0.0.0/16",
                done: 1_234,
                total: 65_534,
                note: "3 in use",
                width: width
            )
            #expect(text.count < width)
        }
    }

    @Test func showsCountPercentAndFill() {
        let text = ProgressBar.render(
            label: "sweeping 198.51.100.0/24",
            done: 127,
            total: 254,
            note: "3 in use",
            width: 100
        )
        #expect(text == "sweeping 198.51.100.0/24 [####################--------------------] 127/254  50%  3 in use")
    }
}
