import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// Neighbour evidence through the real daemon: a host that drops echo is still seen, by its MAC.
@Suite(.serialized, .lab)
struct DaemonNeighborTests {
    typealias A = Lab.Addresses

    @Test(arguments: [A.quiet4, A.quiet6])
    func aHostThatDropsEchoIsInUseByItsNeighbourEntry(address: IPAddress) async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0"#))
            #expect(answer.state == "in_use", "\(answer)")
            #expect(answer.evidence == "neighbor")
            #expect(answer["mac"]?.stringValue == A.quietMAC)
            #expect(answer["rtt_us"] == nil)
            let evidence = try stats(client)["evidence"]
            #expect(evidence?["neighbor"]?.intValue == 1)
        }
    }

    @Test func aLinkLocalTargetWithAZone() async throws {
        try await withDaemon(policy: labPolicy.replacingOccurrences(of: #""::1/128"]"#, with: #""::1/128", "fe80::/10"]"#)) { daemon in
            let answer = try daemon.client().ask(#"{"op":"check","addr":"fe80::ff:fe00:14%\#(Lab.dutInterface)"}"#)
            #expect(answer["addr"]?.stringValue == "fe80::ff:fe00:14%\(Lab.dutInterface)")
            #expect(answer.state == "in_use", "\(answer)")
            #expect(answer["mac"]?.stringValue == A.quietMAC)
        }
    }

    @Test(arguments: [A.live4[3], A.live6[3]])
    func echoWinsOverTheNeighbourTable(address: IPAddress) async throws {
        try await withDaemon { daemon in
            let answer = try daemon.client().ask(checkLine(address, extra: #","max_age_ms":0"#))
            #expect(answer.evidence == "echo_reply")
            #expect(answer["mac"] == nil)
        }
    }

    @Test(arguments: [A.silent4[5], A.silent6[5]])
    func silentOnLinkAddressesStayFreeOnEveryCheck(address: IPAddress) async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            // The first check leaves an INCOMPLETE (later FAILED) entry: it must never count.
            for _ in 0..<3 {
                let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0"#))
                #expect(answer.state == "free", "\(answer)")
                #expect(answer.evidence == "timeout")
            }
        }
    }

    @Test(arguments: [A.quiet4, A.quiet6])
    func neighbourEvidenceOffLeavesTheEchoDroppingHostFree(address: IPAddress) async throws {
        try await withDaemon("probe:\n  neighbor_evidence: false\n") { daemon in
            let client = try daemon.client()
            let info = try client.ask(#"{"op":"info"}"#)
            #expect(info["neighbor_evidence"]?.boolValue == false)
            #expect(info["neighbor_solicit"]?.stringValue == "off")
            let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0"#))
            #expect(answer.state == "free")
            #expect(answer.evidence == "timeout")
        }
    }

    @Test func aRemovedHostWithAStaleEntryIsFreeOnceItsVerdictExpires() async throws {
        let lab = try Lab.required
        let gone = A.live4[9]
        try await withDaemon("cache:\n  in_use_ttl_s: 1\nprobe:\n  neighbor_max_age_s: 1\n") { daemon in
            let client = try daemon.client()
            #expect(try client.ask(checkLine(gone)).evidence == "echo_reply")
            // The host leaves; its neighbour entry stays, and turns STALE.
            try lab.runChecked(lab.hosts, ["ip", "addr", "del", "\(gone)/24", "dev", Lab.bridgeInterface])
            defer { _ = try? lab.run(lab.hosts, ["ip", "addr", "add", "\(gone)/24", "dev", Lab.bridgeInterface]) }
            let entry = try lab.neighbourEntry(gone, in: lab.dut)
            let mac = try #require(entry.split(separator: " ").drop { $0 != "lladdr" }.dropFirst().first)
            try lab.runChecked(lab.dut, ["ip", "neigh", "change", gone.description, "dev", Lab.dutInterface, "lladdr", String(mac), "nud", "stale"])
            // Still cached in use for its TTL (1 s here); waiting for time itself to pass.
            #expect(try client.ask(checkLine(gone)).state == "in_use")
            try await Task.sleep(for: .milliseconds(1200))
            let answer = try client.ask(checkLine(gone))
            #expect(answer.isCached == false)
            let entryNow = try lab.neighbourEntry(gone, in: lab.dut)
            #expect(answer.state == "free", "\(answer) with neighbour entry \(entryNow)")
        }
    }

    @Test func aSweepListsTheLiveHostsAndTheEchoDroppingOneWithItsMAC() async throws {
        try await withDaemon { daemon in
            let (status, output) = try Lab.run(
                nil, [try Lab.probectlBinary.path, "--socket", daemon.socketPath, "sweep", "198.51.100.0/24"], timeout: .seconds(60))
            #expect(status == 1, "\(output)")
            let inUse = output.split(separator: "\n").filter { $0.contains("in_use") }
            let listed = Set(inUse.compactMap { $0.split(separator: " ").first.map(String.init) })
            let expected = Set((A.live4 + [A.quiet4]).map(\.description)).union([A.dutAddress4.description, A.dutRawAddress4.description])
            #expect(listed == expected, "\(output)")
            #expect(inUse.contains { $0.hasPrefix(A.quiet4.description + " ") && $0.contains(A.quietMAC) })
        }
    }
}
