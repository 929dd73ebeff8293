import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// `/metrics` scraped from the real daemon after a few checks, and parsed.
@Suite(.serialized, .lab)
struct MetricsLabTests {
    typealias A = Lab.Addresses

    /// `name{labels} value` lines of the Prometheus text format, by series.
    func parse(_ text: String) -> [String: Double] {
        var series: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }

    @Test func scrapedAfterAFewChecks() async throws {
        let port = 9469 + Int(getpid() % 500)
        try await withDaemon("metrics:\n  listen: \"127.0.0.1:\(port)\"\n") { daemon in
            let client = try daemon.client()
            _ = try client.ask(checkLine(A.live4[0]))
            _ = try client.ask(checkLine(A.live4[0]))
            _ = try client.ask(checkLine(A.sink4))
            _ = try client.ask(checkLine(A.prohibit4))
            let lab = try Lab.required
            // The daemon runs in the lab namespace: scrape its loopback from there.
            let (status, output) = try lab.run(
                lab.dut, ["python3", "-c", "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:\(port)/metrics', timeout=5).read().decode())"])
            #expect(status == 0, "\(output)")
            let series = parse(output)
            #expect(series["probed_cache_hits_total"] == 1)
            #expect(series[#"probed_checks_total{state="in_use",evidence="echo_reply"}"#] == 2, "\(output)")
            #expect(series[#"probed_checks_total{state="free",evidence="timeout"}"#] == 1)
            #expect(series[#"probed_checks_total{state="unknown",evidence="not_sent"}"#] == 0)
            #expect(series[#"probed_probe_verdicts_total{state="in_use"}"#] == 1)
            #expect(series[#"probed_probe_verdicts_by_evidence_total{evidence="timeout"}"#] == 1)
            #expect(series[#"probed_errors_total{code="not_allowed"}"#] == 1)
            #expect(series["probed_replies_total"] == 1)
            #expect(series["probed_timeouts_total"] == 1)
            #expect(series["probed_in_flight"] == 0)
            #expect(series["probed_cache_entries"] == 2)
            #expect(series["probed_rtt_seconds_count"] == 1)
            #expect(series[#"probed_rtt_seconds_bucket{le="+Inf"}"#] == 1)
            #expect((series["probed_echo_requests_total"] ?? 0) >= 3)
            let missing = try lab.run(
                lab.dut, ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:\(port)/other', timeout=5)"])
            #expect(missing.status != 0 && missing.output.contains("404"))
        }
    }
}
