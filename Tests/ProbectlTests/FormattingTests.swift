import ProbeProtocol
import Testing

@testable import probectl

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("90s", 90_000), ("10m", 600_000), ("1h", 3_600_000), ("90", 90_000), ("1h30m", 5_400_000),
        ("500ms", 500), ("2d", 172_800_000), ("0", 0), ("1m1s", 61_000),
    ])
    func parses(text: String, milliseconds: Int64) {
        #expect(Duration(parsing: text)?.wholeMilliseconds == milliseconds)
    }

    @Test(arguments: ["", "5x", "m", "1.5h", "-5", "10 m", "s10", "1h 30m", "99999999999999999999", "1000000000d"])
    func refuses(text: String) {
        #expect(Duration(parsing: text) == nil)
    }

    @Test func markTTLStaysInsideTheProtocolRange() throws {
        #expect(try MarkCommand.ttl("10m") == 600_000)
        #expect(throws: (any Error).self) { try MarkCommand.ttl("0") }
        #expect(throws: (any Error).self) { try MarkCommand.ttl("366d") }
        #expect(try MarkCommand.ttl("365d") == 31_536_000_000)
    }

    @Test func markStates() throws {
        #expect(try MarkCommand.state("in_use") == .inUse)
        #expect(try MarkCommand.state("in-use") == .inUse)
        #expect(try MarkCommand.state("free") == .free)
        #expect(throws: (any Error).self) { try MarkCommand.state("unknown") }
    }
}

@Suite struct FormatTests {
    @Test(arguments: [
        (0, "0.000 ms"), (5, "0.005 ms"), (412, "0.412 ms"), (3_204, "3.20 ms"), (12_345, "12.3 ms"),
        (250_000, "250 ms"), (-1, "0.000 ms"),
    ])
    func roundTrip(microseconds: Int, text: String) {
        #expect(Format.roundTrip(microseconds: microseconds) == text)
    }

    @Test(arguments: [
        (350, "350 ms"), (4_200, "4.2 s"), (192_000, "3m12s"), (7_500_000, "2h05m"),
    ])
    func age(milliseconds: Int, text: String) {
        #expect(Format.age(milliseconds: milliseconds) == text)
    }

    @Test(arguments: [
        (90_000, "1m30s"), (600_000, "10m"), (5_400_000, "1h30m"), (1_500, "1500ms"), (86_400_000, "1d"),
    ])
    func duration(milliseconds: Int, text: String) {
        #expect(Format.duration(milliseconds: milliseconds) == text)
    }

    @Test func counts() {
        #expect(Format.count(0) == "0")
        #expect(Format.count(999) == "999")
        #expect(Format.count(65_534) == "65,534")
        #expect(Format.count(16_777_214) == "16,777,214")
        #expect(Format.count(-1_234) == "-1,234")
        #expect(Format.plural(1, "address", "addresses") == "1 address")
        #expect(Format.plural(2, "address", "addresses") == "2 addresses")
    }
}

@Suite struct TextTableTests {
    @Test func alignsColumnsAndTrimsTrailingSpace() {
        var table = TextTable()
        table.append(["ADDRESS", "STATE", "MAC"])
        table.append(["198.51.100.10", "in_use", ""])
        table.append(["2001:db8::1", "free", "02:00:00:00:00:14"])
        #expect(
            table.lines() == [
                "ADDRESS        STATE   MAC",
                "198.51.100.10  in_use",
                "2001:db8::1    free    02:00:00:00:00:14",
            ]
        )
    }

    @Test func indentsAndAcceptsShortRows() {
        var table = TextTable(indent: "  ")
        table.append(["198.51.100.12", "pending"])
        table.append(["198.51.100.11", "free", "timeout"])
        #expect(table.lines() == ["  198.51.100.12  pending", "  198.51.100.11  free     timeout"])
    }
}

@Suite struct VerdictFormattingTests {
    @Test func detailsNameRTTMACReasonAndCacheAge() throws {
        let address = try #require(IPAddress("198.51.100.10"))
        let echo = Verdict(addr: address, state: .inUse, evidence: .echoReply, rttMicroseconds: 412)
        #expect(echo.cells == ["198.51.100.10", "in_use", "echo_reply", "rtt 0.412 ms"])
        let neighbor = Verdict(
            addr: address,
            state: .inUse,
            evidence: .neighbor,
            mac: "02:00:00:00:00:14",
            cached: true,
            ageMilliseconds: 4_200
        )
        #expect(neighbor.details == "mac 02:00:00:00:00:14, cached, 4.2 s old")
        let unknown = Verdict(addr: address, state: .unknown, evidence: .sendFailed, reason: "network unreachable")
        #expect(unknown.details == "network unreachable")
    }

    @Test func errorAnswersReadAsAddressCodeMessage() {
        let error = ProbeError.notAllowed("203.0.113.9 is outside the allowed prefixes")
        let answer = DaemonAnswer(index: 0, line: [], response: .success(.error(error, id: 1)))
        #expect(
            answer.failureText(subject: "203.0.113.9")
                == "203.0.113.9: not_allowed: 203.0.113.9 is outside the allowed prefixes"
        )
    }
}

@Suite struct FlatteningTests {
    @Test func flattensNestedObjectsArraysAndEmptyValues() {
        let stats: JSONValue = [
            "checks": 12, "rtt_us": ["p50": 412, "p99": 2_100], "errors": [:], "families": ["ipv4", "ipv6"],
            "pools": [["prefix": "198.51.100.0/24", "refresh_s": 10]], "neighbor_evidence": true, "empty": [],
        ]
        let flat = stats.flattened().map { "\($0.key)=\($0.value)" }
        #expect(
            flat == [
                "checks=12", "rtt_us.p50=412", "rtt_us.p99=2100", "errors=(none)", "families=ipv4, ipv6",
                "pools[0].prefix=198.51.100.0/24", "pools[0].refresh_s=10", "neighbor_evidence=true", "empty=(none)",
            ]
        )
    }

    @Test func listingIsAligned() {
        let info: JSONValue = ["version": "0.1.0", "neighbor_evidence": false]
        #expect(KeyValueListing.lines(info) == ["version            0.1.0", "neighbor_evidence  false"])
    }
}
