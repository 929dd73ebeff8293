import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// ARP probes and Neighbor Solicitations of the daemon's own (`probe.neighbor_solicit`), through
/// the real daemon in the lab: an echo-dropping host whose neighbour entry is STALE, and
/// confirmed longer ago than `neighbor_max_age_s`, is caught within the deadline when the daemon
/// holds `CAP_NET_RAW` (the lab runs it as root), and answered `free` without it; silence stays
/// `free`, and forged answers that name another address, or that come with a hop limit a router
/// could have lowered, change nothing.
@Suite(.serialized, .lab)
struct DaemonSolicitationTests {
    typealias A = Lab.Addresses

    /// `neighbor_max_age_s` 1: an entry confirmed more than a second ago does not count by itself.
    static let shortAge = "probe:\n  neighbor_max_age_s: 1\n"
    /// Runs the daemon without `CAP_NET_RAW` (root keeps its other capabilities; the lab's dut
    /// admits ping sockets, so echo still works).
    static let withoutRaw = ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]

    /// Makes the dut's entry for the quiet host STALE and waits until its last confirmation is
    /// over a second old (`ip -s neigh` shows used/confirmed/updated in seconds).
    static func makeStale(_ lab: Lab, _ address: IPAddress) async throws {
        try lab.runChecked(
            lab.dut, ["ip", "neigh", "replace", A.text(address), "dev", Lab.dutInterface, "lladdr", A.quietMAC, "nud", "stale"])
        let aged = try await Lab.eventually(timeout: .seconds(5)) {
            let line = try lab.runChecked(nil, ["ip", "-n", lab.dut, "-s", "neigh", "show", A.text(address)])
            // "… used 2/62/2 probes 0 STALE" (some versions of ip print no space before "probes").
            guard let used = line.split(separator: " ").drop(while: { $0 != "used" }).dropFirst().first else { return false }
            let times = used.split(separator: "/").compactMap { Int($0.prefix { $0.isNumber }) }
            return times.count == 3 && times[1] >= 2 && line.contains("STALE")
        }
        let entry = try lab.neighbourEntry(address)
        #expect(aged, "the entry for \(address) did not age: \(entry)")
    }

    @Test(arguments: [A.quiet4, A.quiet6])
    func aStaleEchoDroppingHostIsCaughtWellWithinTheDeadline(address: IPAddress) async throws {
        let lab = try Lab.required
        try await withDaemon(Self.shortAge) { daemon in
            let client = try daemon.client()
            #expect(try client.ask(#"{"op":"info"}"#)["neighbor_solicit"]?.stringValue == "arp+ndp")
            try await Self.makeStale(lab, address)
            let started = ContinuousClock.now
            let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0,"timeout_ms":300"#))
            let took = ContinuousClock.now - started
            #expect(answer.state == "in_use", "\(answer)")
            #expect(answer.evidence == "neighbor")
            #expect(answer["mac"]?.stringValue == A.quietMAC)
            // The answer to our own solicitation, not the deadline's table read.
            #expect(took < .milliseconds(150), "took \(took)")
            #expect(try stats(client)["neighbor_solicit_answers"]?.intValue ?? 0 >= 1)
        }
    }

    @Test(arguments: [A.quiet4, A.quiet6])
    func withoutCapNetRawTheSameHostIsFreeAndInfoSaysUnavailable(address: IPAddress) async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy + "\n" + Self.shortAge, prefix: Self.withoutRaw)
        let client = try daemon.client()
        #expect(try client.ask(#"{"op":"info"}"#)["neighbor_solicit"]?.stringValue == "unavailable")
        #expect(daemon.process.errorOutput.contains("neighbor_solicit unavailable"), "\(daemon.process.errorOutput)")
        try await Self.makeStale(lab, address)
        let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0,"timeout_ms":300"#))
        // The documented answer (docs/operations.md): the kernel does not re-probe a STALE entry
        // within the deadline, so the host is not seen.
        #expect(answer.state == "free", "\(answer)")
        #expect(answer.evidence == "timeout")
        let termination = try await daemon.stop()
        #expect(termination == .exited(0))
    }

    @Test func offByConfigurationSaysOff() async throws {
        try await withDaemon("probe:\n  neighbor_solicit: \"off\"\n") { daemon in
            let client = try daemon.client()
            #expect(try client.ask(#"{"op":"info"}"#)["neighbor_solicit"]?.stringValue == "off")
            _ = try client.ask(checkLine(A.silent4[4], extra: #","max_age_ms":0"#))
            #expect(try stats(client)["neighbor_solicitations"]?.intValue == 0)
        }
    }

    @Test(arguments: [A.silent4[6], A.silent6[6]])
    func aSilentOnLinkAddressStaysFreeDespiteTheSolicitations(address: IPAddress) async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            for _ in 0..<2 {
                let answer = try client.ask(checkLine(address, extra: #","max_age_ms":0,"attempts":3"#))
                #expect(answer.state == "free", "\(answer)")
            }
            let figures = try stats(client)
            #expect(figures["neighbor_solicitations"]?.intValue ?? 0 >= 6, "\(figures)")
            #expect(figures["neighbor_solicit_answers"]?.intValue == 0)
        }
    }

    /// Forges claims from the hosts' namespace while a probe of a silent address runs: those
    /// naming another address, and (IPv6) one naming the probed address with hop limit 64, are
    /// ignored; one naming the probed address with hop limit 255 is taken (so the forgeries do
    /// arrive in time, and ignoring them means something).
    @Test(arguments: [IPFamily.ipv4, .ipv6])
    func forgedAnswersForOtherAddressesAreIgnored(family: IPFamily) async throws {
        let lab = try Lab.required
        let (probed, other, control) = family == .ipv4
            ? (A.silent4[10], A.silent4[11], A.silent4[12]) : (A.silent6[10], A.silent6[11], A.silent6[12])
        try await withDaemon { daemon in
            let client = try daemon.client()
            func forge(_ claim: IPAddress, hops: Int = 255) throws {
                let kind = claim.family == .ipv4 ? "arp" : "na"
                try lab.runChecked(
                    lab.hosts,
                    ["python3", Lab.scriptsDirectory.appendingPathComponent("neighbor_claim.py").path, kind, "--iface", Lab.bridgeInterface,
                     "--claim", A.text(claim), "--mac", "02:00:00:00:00:99", "--hops", "\(hops)", "--count", "10", "--interval", "0.02"])
            }
            try client.send(checkLine(probed, id: 1, extra: #","max_age_ms":0,"timeout_ms":1500"#))
            try forge(other)
            if family == .ipv6 { try forge(probed, hops: 64) }
            let ignored = try #require(try client.readJSON(timeout: .seconds(5)))
            #expect(ignored.state == "free", "\(ignored)")
            #expect(ignored.evidence == "timeout")

            try client.send(checkLine(control, id: 2, extra: #","max_age_ms":0,"timeout_ms":1500"#))
            try forge(control)
            let taken = try #require(try client.readJSON(timeout: .seconds(5)))
            #expect(taken.state == "in_use", "\(taken)")
            #expect(taken["mac"]?.stringValue == "02:00:00:00:00:99")
        }
    }

    @Test func aLinkLocalTargetWithAZoneIsSolicitedOnItsInterface() async throws {
        let lab = try Lab.required
        let linkLocal = IPAddress("fe80::ff:fe00:14")!
        let policy = labPolicy.replacingOccurrences(of: #""::1/128"]"#, with: #""::1/128", "fe80::/10"]"#)
        try await withDaemon(Self.shortAge, policy: policy) { daemon in
            try await Self.makeStale(lab, linkLocal)
            let answer = try daemon.client().ask(#"{"op":"check","addr":"fe80::ff:fe00:14%\#(Lab.dutInterface)","max_age_ms":0}"#)
            #expect(answer.state == "in_use", "\(answer)")
            #expect(answer["mac"]?.stringValue == A.quietMAC)
            #expect(try stats(daemon.client())["neighbor_solicit_answers"]?.intValue ?? 0 >= 1)
        }
    }

    /// A warm pool of the echo-dropping host: with the kernel's own re-probe pushed out of reach
    /// (`delay_first_probe_time` 60 s), the host stays `in_use` sweep after sweep on the answers
    /// to our solicitations alone (which the kernel also takes as confirmation of its entry).
    @Test func aPoolSweepKeepsTheEchoDroppingHostInUse() async throws {
        let lab = try Lab.required
        let keys = ["net.ipv4.neigh.\(Lab.dutInterface).delay_first_probe_time", "net.ipv6.neigh.\(Lab.dutInterface).delay_first_probe_time"]
        let saved = try keys.map { try lab.runChecked(lab.dut, ["sysctl", "-n", $0]).trimmingCharacters(in: .whitespacesAndNewlines) }
        for key in keys { try lab.runChecked(lab.dut, ["sysctl", "-qw", "\(key)=60"]) }
        defer { for (key, value) in zip(keys, saved) { _ = try? lab.run(lab.dut, ["sysctl", "-qw", "\(key)=\(value)"]) } }
        let pools = "pools:\n  - {range: \"\(A.quiet4)-\(A.quiet4)\", refresh_s: 1}\n  - {range: \"\(A.quiet6)-\(A.quiet6)\", refresh_s: 1}\n"
        try await withDaemon(Self.shortAge + pools) { daemon in
            let client = try daemon.client()
            for address in [A.quiet4, A.quiet6] {
                try lab.runChecked(
                    lab.dut, ["ip", "neigh", "replace", A.text(address), "dev", Lab.dutInterface, "lladdr", A.quietMAC, "nud", "stale"])
            }
            let before = try stats(client)["neighbor_solicit_answers"]?.intValue ?? 0
            // Three sweeps of each pool after the entries went stale.
            let swept = try await Lab.eventually(timeout: .seconds(8)) {
                (try stats(client)["neighbor_solicit_answers"]?.intValue ?? 0) >= before + 6
            }
            #expect(swept)
            for address in [A.quiet4, A.quiet6] {
                let answer = try client.ask(checkLine(address, extra: #","max_age_ms":1500"#))
                let entry = try lab.neighbourEntry(address)
                #expect(answer.state == "in_use", "\(answer); entry \(entry)")
                #expect(answer.isCached == true)
                #expect(answer["mac"]?.stringValue == A.quietMAC)
                // Confirmed again by the answers to our solicitations: the kernel's own re-probe
                // would have waited 60 s.
                #expect(entry.contains("REACHABLE"), "\(entry)")
            }
        }
    }

    /// The ARP socket sees every ARP frame of every link: an idle daemon must not wake for them.
    /// It watches the solicitor's sockets only while a solicitation waits for its answer.
    @Test func anIdleDaemonDoesNotWakeForOtherHostsARP() async throws {
        let lab = try Lab.required
        try await withDaemon { daemon in
            let client = try daemon.client()
            // A solicitation, answered, and over.
            #expect(try client.ask(checkLine(A.quiet4, extra: #","max_age_ms":0"#)).state == "in_use")
            let before = try Self.contextSwitches(daemon.process.pid)
            try lab.runChecked(
                lab.hosts,
                ["python3", Lab.scriptsDirectory.appendingPathComponent("neighbor_claim.py").path, "arp", "--iface", Lab.bridgeInterface,
                 "--claim", A.text(A.silent4[15]), "--mac", "02:00:00:00:00:99", "--count", "50", "--interval", "0.002"])
            // Nothing to await: the point is that nothing happens. The frames have reached the
            // dut's link by the time the script returns; give a wake-up time to show.
            try await Task.sleep(for: .milliseconds(100))
            let after = try Self.contextSwitches(daemon.process.pid)
            #expect(after - before < 10, "the daemon woke \(after - before) times for 50 ARP frames of another host")
        }
    }

    /// Voluntary and involuntary context switches of every thread of `pid`.
    static func contextSwitches(_ pid: Int32) throws -> Int {
        var total = 0
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            let status = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            for line in status.split(separator: "\n") where line.hasSuffix("ctxt_switches") == false && line.contains("ctxt_switches:") {
                total += Int(line.split(separator: "\t").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }
}
