import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// The real daemon in the lab: verdicts for every kind of target, both families.
@Suite(.serialized, .lab)
struct DaemonVerdictTests {
    typealias A = Lab.Addresses

    @Test func infoDescribesTheDaemon() async throws {
        try await withDaemon { daemon in
            let info = try daemon.client().ask(#"{"id":"i","op":"info"}"#)
            #expect(info["id"]?.stringValue == "i")
            #expect(info["ok"]?.boolValue == true)
            #expect(info["protocol"]?.intValue == 1)
            #expect(info["version"]?.stringValue?.isEmpty == false)
            #expect(info["families"] == .array([.string("ipv4"), .string("ipv6")]))
            #expect(info["socket_kind"] == .object(["ipv4": .string("dgram"), "ipv6": .string("dgram")]))
            #expect(info["neighbor_evidence"]?.boolValue != nil)
            // The runtime hook that runs tasks on the event loops took effect (an idle daemon
            // wakes for nothing); a runtime that ignored it would show "dispatch".
            #expect(info["task_executor"]?.stringValue == "event_loops")
            #expect(!daemon.process.errorOutput.contains("libdispatch"), "\(daemon.process.errorOutput)")
        }
    }

    @Test func rawFallbackWhereThePingSocketIsRefused() async throws {
        try await withDaemon(namespace: { $0.dutRaw }) { daemon in
            let client = try daemon.client()
            let info = try client.ask(#"{"op":"info"}"#)
            #expect(info["socket_kind"] == .object(["ipv4": .string("raw"), "ipv6": .string("raw")]))
            let live = try client.ask(checkLine(A.live4[2]))
            #expect(live.state == "in_use")
            #expect(live.evidence == "echo_reply")
        }
    }

    @Test(arguments: [IPFamily.ipv4, .ipv6])
    func everyKindOfTarget(family: IPFamily) async throws {
        let v4 = family == .ipv4
        try await withDaemon { daemon in
            let client = try daemon.client()
            let live = try client.ask(checkLine(v4 ? A.live4[0] : A.live6[0], id: 1))
            #expect(live["id"]?.intValue == 1)
            #expect(live.state == "in_use")
            #expect(live.evidence == "echo_reply")
            #expect((live["rtt_us"]?.intValue ?? 0) > 0)
            #expect(live.isCached == false)
            #expect(live["age_ms"]?.intValue == 0)

            let silent = try client.ask(checkLine(v4 ? A.sink4 : A.sink6, id: 2))
            #expect(silent.state == "free")
            #expect(silent.evidence == "timeout")

            let unreachable = try client.ask(checkLine(v4 ? A.unreachable4 : A.unreachable6, id: 3))
            #expect(unreachable.state == "free")
            #expect(unreachable.evidence == "unreachable")

            let unrouted = try client.ask(checkLine(v4 ? A.noRoute4 : A.noRoute6, id: 4))
            #expect(unrouted.state == "unknown")
            #expect(unrouted.evidence == "send_failed")
            #expect(unrouted["reason"]?.stringValue == "network is unreachable")

            let forbidden = try client.ask(checkLine(v4 ? A.prohibit4 : A.prohibit6, id: 5))
            #expect(forbidden["ok"]?.boolValue == false)
            #expect(forbidden.errorCode == "not_allowed")
            #expect(forbidden["id"]?.intValue == 5)
            #expect(forbidden["error"]?["message"]?.stringValue?.contains("outside the allowed prefixes") == true)
        }
    }

    @Test func addressesAreAnsweredInCanonicalForm() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let mapped = try client.ask(#"{"op":"check","addr":"::ffff:198.51.100.10"}"#)
            #expect(mapped["addr"]?.stringValue == "198.51.100.10")
            #expect(mapped.state == "in_use")
            let long = try client.ask(#"{"op":"check","addr":"2001:0DB8:0100:0000:0000:0000:0000:0010"}"#)
            #expect(long["addr"]?.stringValue == "2001:db8:100::10")
        }
    }

    @Test func unspecifiedMulticastAndBroadcastAreRefusedEvenWhenAllowed() async throws {
        try await withDaemon(policy: "policy:\n  allow: [0.0.0.0/0, \"::/0\"]\n") { daemon in
            let client = try daemon.client()
            for address in ["0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "ff02::1"] {
                let answer = try client.ask(#"{"op":"check","addr":"\#(address)"}"#)
                #expect(answer.errorCode == "not_allowed", "\(address): \(answer)")
            }
        }
    }
}
