import ProbeProtocol
import Testing

@testable import ProbeCore

/// The tally against a dictionary of the same verdicts: every cell, row and column agree.
@Suite struct VerdictTallyTests {
    @Test func agreesWithADictionaryOfTheSameVerdicts() {
        var tally = VerdictTally()
        var expected: [CheckerStatistics.Answer: UInt64] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let state = VerdictState.allCases.randomElement(using: &generator)!
            let evidence = Evidence.allCases.randomElement(using: &generator)!
            tally.add(state, evidence)
            expected[.init(state: state, evidence: evidence), default: 0] += 1
        }
        for state in VerdictState.allCases {
            for evidence in Evidence.allCases {
                #expect(tally[state, evidence] == expected[.init(state: state, evidence: evidence)] ?? 0)
            }
            #expect(tally[state: state] == expected.filter { $0.key.state == state }.values.reduce(0, +))
        }
        for evidence in Evidence.allCases {
            #expect(tally[evidence: evidence] == expected.filter { $0.key.evidence == evidence }.values.reduce(0, +))
        }
        #expect(tally.total == 2_000)
        #expect(VerdictTally()[state: .free] == 0)
    }
}
