import ProbeConfig
import Testing

/// Files whose lines end in `\r\n` or a lone `\r`: libyaml counts those as line breaks, and so must
/// the messages that point at a line (found by `scripts/fuzz config`).
@Suite struct LineBreakTests {
    @Test func duplicateKeyInACRLFFileNamesPathAndBothLines() {
        let yaml = "probe:\r\n  attempts: 2\r\n  timeout_ms: 100\r\n  attempts: 3\r\n"
        let error = expectRefusal(yaml, code: .duplicateKey, keyPath: "probe.attempts", line: 4)
        #expect(error?.message.contains("first on line 2") == true, "\(String(describing: error))")
    }

    @Test func tabHintInACRLFFile() {
        let error = refusal("probe:\r\n\ttimeout_ms: 1\r\n")
        #expect(error?.message.contains("tabs cannot indent YAML") == true, "\(String(describing: error))")
    }

    @Test func duplicateKeyAfterALoneCarriageReturn() {
        let yaml = "log:\r  level: info\rlog:\n  level: debug\n"
        expectRefusal(yaml, code: .duplicateKey, keyPath: "log", line: 3)
    }

    /// The fuzz input: a quoted scalar left open across lone `\r` breaks. The error's line is
    /// libyaml's, one past the last break, inside the five lines the text has.
    @Test func unterminatedQuoteAcrossCarriageReturns() {
        let error = refusal("probe:\n\" t  ti-s-\rue_ t  ti-s-\rue_ot441\n")
        #expect(error?.code == .syntax)
        #expect(error?.line == 5)
        #expect(error?.message.contains("from line 2") == true, "\(String(describing: error))")
    }
}
