import Foundation
import LabSupport
import Testing

/// A real kea-dhcp4 (multi-threaded, 4 threads) with the hook, real probed, real DHCP clients:
/// squatted addresses are never offered.
@Suite(.serialized, .lab)
struct KeaSquatterTests {
    /// The pool's first and second addresses.
    static let first = "198.51.100.150"
    static let second = "198.51.100.151"

    @Test func echoSquatterIsDeclinedAndTheClientGetsTheNextAddress() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("echo")
        try await KeaLab.withProbed(root: root, name: name) { _ in
            let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name))
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                try await KeaLab.withEchoSquatter(Self.first) { () async throws in
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == Self.second, "udhcpc: \(outcome.output)")
                    #expect(try kea.declinedAddresses() == [Self.first])
                    let declines = kea.logLines(containing: "PROBED_DECLINE")
                    #expect(declines.count == 1)
                    #expect(declines.first?.contains("\(Self.first) is in use (evidence echo_reply") == true)
                    #expect(kea.logLines(containing: "DHCP4_SERVER_INITIATED_DECLINE").count == 1)
                }
            }
        }
    }

    /// The conflict this project exists to prevent: a host that drops echo but answers ARP.
    @Test func quietSquatterIsCaughtByProbedButOfferedByPingCheck() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        try await KeaLab.withQuietSquatter(Self.first) { () async throws in
            let name = KeaLab.uniqueName("quiet")
            try await KeaLab.withProbed(root: root, name: name) { _ in
                try await KeaLab.withKea(root: root, KeaConfig(name: name, probed: KeaLab.hookParameters(name))) { kea in
                    try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == Self.second, "udhcpc: \(outcome.output)")
                    #expect(try kea.declinedAddresses() == [Self.first])
                    let decline = kea.logLines(containing: "PROBED_DECLINE").first ?? ""
                    #expect(decline.contains("evidence neighbor, mac 02:00:00:00:00:14"), "\(decline)")
                }

                // Kea's own ping_check instead: one echo, 100 ms, no neighbour evidence.
                let pingCheck = #""enable-ping-check": true, "min-ping-requests": 1, "reply-timeout": 100"#
                let plain = KeaConfig(name: KeaLab.uniqueName("quiet-ping"), pingCheck: pingCheck)
                try await KeaLab.withKea(root: root, plain) { kea in
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == Self.first, "ping_check offers the squatted address: \(outcome.output)")
                    #expect(try kea.declinedAddresses().isEmpty)
                }
            }
        }
    }

    @Test func dhclientAlsoSkipsTheSquatter() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("dhclient")
        try await KeaLab.withProbed(root: root, name: name) { _ in
            try await KeaLab.withKea(root: root, KeaConfig(name: name, probed: KeaLab.hookParameters(name))) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                try await KeaLab.withEchoSquatter(Self.first) { () async throws in
                    let (address, output) = try Dhclient.lease(lab, root: root)
                    #expect(address == Self.second, "dhclient: \(output)")
                    let leases = try kea.leases()
                    #expect(try kea.declinedAddresses() == [Self.first], "\(leases)")
                }
            }
        }
    }

    @Test func disabledSubnetAndRenewalsAreNotChecked() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("skip")
        try await KeaLab.withProbed(root: root, name: name) { _ in
            // The subnet opts out: the squatted first address is offered unchecked.
            var config = KeaConfig(name: name, probed: KeaLab.hookParameters(name))
            config.subnetContext = #"{"probed": {"enable": false}}"#
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.withEchoSquatter(Self.first) { () async throws in
                    #expect(try Udhcpc.lease(lab, root: root).address == Self.first)
                    #expect(try kea.statistic("probed-checks") == 0)
                    #expect(try kea.statistic("probed-skipped") == 1)
                }
            }
            // The client's own lease: the second DISCOVER is not checked.
            config = KeaConfig(name: KeaLab.uniqueName("renew"), probed: KeaLab.hookParameters(name))
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                #expect(try Udhcpc.lease(lab, root: root).address == Self.first)
                #expect(try kea.statistic("probed-checks") == 1)
                try await KeaLab.withEchoSquatter(Self.first) { () async throws in
                    // probed would now say in_use, but the client's own lease is not checked.
                    #expect(try Udhcpc.lease(lab, root: root).address == Self.first)
                }
                #expect(try kea.statistic("probed-checks") == 1)
                #expect(try kea.statistic("probed-skipped") == 1)
            }
        }
    }

    /// A reserved address is offered to its owner unchecked, as ping_check does.
    @Test func reservedAddressIsNotChecked() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("reserved")
        let mac = try lab.runChecked(lab.dutRaw, ["cat", "/sys/class/net/veth0/address"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let reserved = "198.51.100.160"
        try await KeaLab.withProbed(root: root, name: name) { _ in
            var config = KeaConfig(name: name, probed: KeaLab.hookParameters(name))
            config.reservations = #"[{"hw-address": "\#(mac)", "ip-address": "\#(reserved)"}]"#
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                try await KeaLab.withEchoSquatter(reserved) { () async throws in
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == reserved, "udhcpc: \(outcome.output)")
                    #expect(try kea.statistic("probed-checks") == 0)
                    #expect(try kea.statistic("probed-skipped") == 1)
                }
            }
        }
    }

    @Test func exampleConfigurationIsValid() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let example = Lab.root.appendingPathComponent("config/kea-dhcp4.json")
        let target = "/etc/kea/probed-example-\(getpid()).json"
        try FileManager.default.copyItem(atPath: example.path, toPath: root + target)
        defer { try? FileManager.default.removeItem(atPath: root + target) }
        // The example serves eth0: the quiet host's namespace has one.
        let (status, output) = try lab.run(lab.quiet, ["chroot", root, "kea-dhcp4", "-t", target])
        #expect(status == 0, "kea-dhcp4 -t config/kea-dhcp4.json: \(output)")
    }

    @Test(arguments: [
        (#""timeout-ms": 0"#, "'timeout-ms'"),
        (#""on-unknown": "maybe""#, "'on-unknown'"),
        (#""max-age-ms": "1s""#, "'max-age-ms'"),
        (#""timeout_ms": 300"#, "'timeout_ms'"),
    ])
    func badParameterRefusesToLoad(parameter: String, named: String) async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let config = KeaConfig(name: KeaLab.uniqueName("bad"), probed: parameter)
        try config.json.write(toFile: root + config.path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: root + config.path) }
        // kea-dhcp4 -t does not load hook libraries: start it, and it must refuse to run.
        let (status, output) = try lab.run(lab.dut, ["chroot", root, "kea-dhcp4", "-c", config.path], timeout: .seconds(20))
        #expect(status != 0)
        #expect(output.contains("PROBED_LOAD_FAILED") && output.contains(named), "\(output)")
    }
}
