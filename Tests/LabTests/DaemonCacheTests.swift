import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// The real daemon in the lab: pipelining, many connections, coalescing, the cache and its
/// bounds, forget, mark and pick.
@Suite(.serialized, .lab)
struct DaemonCacheTests {
    typealias A = Lab.Addresses

    @Test func thousandPipelinedChecksOnOneConnectionAreAllMatchedByID() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            // Distinct loopback addresses: each needs a probe of its own, answered in any order.
            var batch = ""
            for index in 0..<1000 {
                let address = IPAddress.v4(IPv4Address(0x7F03_0000 | UInt32(index + 1)))
                batch += checkLine(address, id: index) + "\n"
            }
            try client.send(bytes: Array(batch.utf8))
            let answers = try readAnswers(client, count: 1000)
            #expect(answers.count == 1000)
            for index in 0..<1000 {
                let expected = IPAddress.v4(IPv4Address(0x7F03_0000 | UInt32(index + 1))).description
                #expect(answers[index]?["addr"]?.stringValue == expected)
                #expect(answers[index]?.state == "in_use")
            }
        }
    }

    @Test func hundredConnectionsAtOnce() async throws {
        try await withDaemon { daemon in
            let clients = try (0..<100).map { _ in try daemon.client() }
            for (number, client) in clients.enumerated() {
                var batch = ""
                for index in 0..<10 {
                    let address = IPAddress.v4(IPv4Address(0x7F04_0000 | UInt32(number << 8 | index + 1)))
                    batch += checkLine(address, id: number * 100 + index) + "\n"
                }
                try client.send(bytes: Array(batch.utf8))
            }
            for (number, client) in clients.enumerated() {
                let answers = try readAnswers(client, count: 10)
                #expect(answers.count == 10)
                for index in 0..<10 {
                    let expected = IPAddress.v4(IPv4Address(0x7F04_0000 | UInt32(number << 8 | index + 1))).description
                    #expect(answers[number * 100 + index]?["addr"]?.stringValue == expected)
                }
            }
        }
    }

    @Test func concurrentChecksOfOneAddressShareOneProbe() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let before = try stats(client)
            var batch = ""
            for index in 0..<50 { batch += checkLine(A.sink4, id: index, extra: #","max_age_ms":0"#) + "\n" }
            try client.send(bytes: Array(batch.utf8))
            let answers = try readAnswers(client, count: 50)
            #expect(answers.count == 50)
            #expect(answers.values.allSatisfy { $0.state == "free" })
            let after = try stats(client)
            let checks = (after["checks"]?.intValue ?? 0) - (before["checks"]?.intValue ?? 0)
            let probes = (after["probes_sent"]?.intValue ?? 0) - (before["probes_sent"]?.intValue ?? 0)
            #expect(checks == 50)
            #expect(probes < checks, "\(probes) echoes for \(checks) checks")
            #expect(probes <= 2)
            #expect((after["coalesced"]?.intValue ?? 0) >= 49)
        }
    }

    @Test func cachedVerdictsExpireAndMaxAgeZeroProbesAfresh() async throws {
        try await withDaemon("cache:\n  free_ttl_s: 1\n") { daemon in
            let client = try daemon.client()
            let first = try client.ask(checkLine(A.sink4))
            #expect(first.state == "free")
            #expect(first.isCached == false)
            let second = try client.ask(checkLine(A.sink4))
            #expect(second.isCached == true)
            #expect((second["age_ms"]?.intValue ?? -1) >= 0)
            let fresh = try client.ask(checkLine(A.sink4, extra: #","max_age_ms":0"#))
            #expect(fresh.isCached == false)
            // The free TTL is one second: past it the verdict is gone (waiting for time itself here).
            try await Task.sleep(for: .milliseconds(1100))
            let expired = try client.ask(checkLine(A.sink4))
            #expect(expired.isCached == false)
        }
    }

    @Test func cacheIsBoundedLeastRecentlyUsedFirst() async throws {
        try await withDaemon("cache:\n  max_entries: 3\n") { daemon in
            let client = try daemon.client()
            for address in A.live4[0..<4] { _ = try client.ask(checkLine(address)) }
            #expect(try stats(client)["cache_entries"]?.intValue == 3)
            // The oldest was evicted; the newest is still cached.
            #expect(try client.ask(checkLine(A.live4[3])).isCached == true)
            #expect(try client.ask(checkLine(A.live4[0])).isCached == false)
        }
    }

    @Test func forgetByPrefixAddressAndAll() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            for last in 1...5 { _ = try client.ask(#"{"op":"check","addr":"127.9.0.\#(last)"}"#) }
            _ = try client.ask(checkLine(A.live4[0]))
            let removed = try client.ask(#"{"id":9,"op":"forget","prefix":"127.9.0.0/24"}"#)
            #expect(removed["ok"]?.boolValue == true)
            #expect(removed["removed"]?.intValue == 5)
            #expect(try client.ask(#"{"op":"check","addr":"127.9.0.1"}"#).isCached == false)
            #expect(try client.ask(checkLine(A.live4[0])).isCached == true)
            let one = try client.ask(#"{"op":"forget","addr":"\#(A.live4[0])"}"#)
            #expect(one["removed"]?.intValue == 1)
            let all = try client.ask(#"{"op":"forget","all":true}"#)
            #expect(all["removed"]?.intValue == 1)  // 127.9.0.1 from the check above
            #expect(try stats(client)["cache_entries"]?.intValue == 0)
            let neither = try client.ask(#"{"op":"forget"}"#)
            #expect(neither.errorCode == "bad_request")
            let both = try client.ask(#"{"op":"forget","addr":"127.0.0.1","prefix":"127.0.0.0/8"}"#)
            #expect(both.errorCode == "bad_request")
        }
    }

    @Test func markHoldsWhateverMaxAgeSaysUntilForgotten() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let marked = try client.ask(#"{"id":1,"op":"mark","addr":"\#(A.sink4)","state":"in_use","ttl_ms":60000}"#)
            #expect(marked == .object(["id": .integer(1), "ok": .bool(true)]))
            let answer = try client.ask(checkLine(A.sink4, extra: #","max_age_ms":0"#))
            #expect(answer.state == "in_use")
            #expect(answer.evidence == "marked")
            let free = try client.ask(#"{"op":"mark","addr":"\#(A.live4[0])","state":"free"}"#)
            #expect(free["ok"]?.boolValue == true)
            #expect(try client.ask(checkLine(A.live4[0])).evidence == "marked")
            _ = try client.ask(#"{"op":"forget","addr":"\#(A.sink4)"}"#)
            #expect(try client.ask(checkLine(A.sink4)).evidence == "timeout")
            let refused = try client.ask(#"{"op":"mark","addr":"\#(A.prohibit4)","state":"in_use"}"#)
            #expect(refused.errorCode == "not_allowed")
            let badState = try client.ask(#"{"op":"mark","addr":"\#(A.sink4)","state":"unknown"}"#)
            #expect(badState.errorCode == "bad_request")
        }
    }

    @Test func pickReturnsTheFirstFreeCandidateInOrder() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let sinks = A.sinkAddresses4(count: 3)
            let line = #"{"id":"p","op":"pick","addrs":["\#(A.live4[0])","\#(sinks[1])","\#(sinks[2])"]}"#
            let answer = try client.ask(line)
            #expect(answer["id"]?.stringValue == "p")
            #expect(answer["addr"]?.stringValue == sinks[1].description)
            let results = answer["results"]?.arrayValue ?? []
            #expect(results.count == 3)
            #expect(results.first?["addr"]?.stringValue == A.live4[0].description)
            #expect(results.first?.state == "in_use")
            #expect(results.dropFirst().first?.state == "free")
        }
    }

    @Test func pickAnswersAtOnceWhenTheFirstCandidateIsCachedFree() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let sinks = A.sinkAddresses4(count: 20)
            #expect(try client.ask(checkLine(sinks[10])).state == "free")
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try client.ask(#"{"op":"pick","timeout_ms":2000,"addrs":["\#(sinks[10])","\#(sinks[11])"]}"#)
            let elapsed = clock.now - start
            #expect(answer["addr"]?.stringValue == sinks[10].description)
            let results = answer["results"]?.arrayValue ?? []
            #expect(results.first?.isCached == true)
            #expect(results.last == .object(["addr": .string(sinks[11].description), "state": .string("pending")]))
            #expect(elapsed < .milliseconds(500), "the pick took \(elapsed) although its first candidate was cached free")
            // The pending probe ran on and its verdict landed in the cache.
            let later = try client.ask(checkLine(sinks[11], extra: #","timeout_ms":2000"#))
            #expect(later.state == "free")
        }
    }

    @Test func pickWithARefusedCandidateIsRefusedWhole() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let answer = try client.ask(#"{"op":"pick","addrs":["\#(A.sink4)","\#(A.prohibit4)"]}"#)
            #expect(answer.errorCode == "not_allowed")
            #expect(answer["error"]?["message"]?.stringValue?.contains(A.prohibit4.description) == true)
        }
    }

    @Test func aShortDeadlineDoesNotWaitForALongerProbeInFlight() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let target = A.sinkAddresses4(count: 40)[33]
            let clock = ContinuousClock()
            let start = clock.now
            try client.send(checkLine(target, id: 1, extra: #","timeout_ms":2000"#))
            try client.send(checkLine(target, id: 2, extra: #","timeout_ms":100"#))
            let first = try #require(try client.readJSON())
            let elapsed = clock.now - start
            #expect(first["id"]?.intValue == 2)
            #expect(first.state == "free")
            #expect(elapsed < .milliseconds(400), "the 100 ms check was answered after \(elapsed)")
            let second = try #require(try client.readJSON())
            #expect(second["id"]?.intValue == 1)
        }
    }
}
