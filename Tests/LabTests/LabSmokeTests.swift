import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// Proves that the lab (Tests/Lab/README.md) is what the other lab tests take it to be: who answers,
/// who stays silent, which route gives which error.
@Suite(.serialized, .lab)
struct LabSmokeTests {
    typealias A = Lab.Addresses

    /// The probing namespaces with the socket kind each allows.
    static let probers: [(dutRaw: Bool, kind: LabPingSocket.Kind)] = [(false, .ping), (true, .raw)]

    static func namespace(_ lab: Lab, dutRaw: Bool) -> String { dutRaw ? lab.dutRaw : lab.dut }

    static func family(of address: IPAddress) -> LabPingSocket.Family {
        if case .v4 = address { return .ipv4 }
        return .ipv6
    }

    @Test("live hosts answer echo", arguments: [A.live4, A.live6], [false, true])
    func liveHostsAnswer(targets: [IPAddress], dutRaw: Bool) async throws {
        let lab = try Lab.required
        let socket = try LabPingSocket.open(
            in: Self.namespace(lab, dutRaw: dutRaw), Self.family(of: targets[0]), dutRaw ? .raw : .ping)
        let payload = Array("lab-smoke-live".utf8)
        for (index, target) in targets.enumerated() {
            #expect(socket.sendEcho(to: target, identifier: 0x5A5A, sequence: UInt16(index), payload: payload) == 0)
        }
        var answered = Set<IPAddress>()
        while answered.count < targets.count, let reply = try socket.receiveEchoReply(timeout: .seconds(3)) {
            guard reply.payload == payload else { continue }
            #expect(targets.firstIndex(of: reply.source) == Int(reply.sequence))
            answered.insert(reply.source)
        }
        #expect(answered == Set(targets))
    }

    @Test("the quiet host drops echo but answers ARP/NDP", arguments: [A.quiet4, A.quiet6])
    func quietHost(target: IPAddress) async throws {
        let lab = try Lab.required
        let isIPv4 = Self.family(of: target) == .ipv4
        try lab.flushNeighbours()
        #expect(try lab.neighbourEntry(target).isEmpty)
        let dropsBefore = try lab.quietEchoDrops(ipv4: isIPv4)
        let socket = try LabPingSocket.open(in: lab.dut, Self.family(of: target), .ping)
        #expect(socket.sendEcho(to: target, sequence: 1, payload: Array("lab-smoke-quiet".utf8)) == 0)

        // The echo request reaches the quiet host and is dropped there...
        let dropped = try await Lab.eventually { try lab.quietEchoDrops(ipv4: isIPv4) > dropsBefore }
        #expect(dropped, "the quiet host's nftables counter did not count the echo request")
        // ...after the dut resolved its address: REACHABLE with the fixed MAC.
        let neighbour = try await Lab.eventually {
            let entry = try lab.neighbourEntry(target)
            return entry.contains("lladdr \(A.quietMAC)") && entry.contains("REACHABLE")
        }
        let entry = try lab.neighbourEntry(target)
        #expect(neighbour, "ip neigh: \(entry)")
        #expect(try socket.receiveEchoReply(timeout: .milliseconds(300)) == nil)
    }

    @Test("silent on-link addresses do not resolve", arguments: [A.silent4[0], A.silent6[0]])
    func silentAddress(target: IPAddress) async throws {
        let lab = try Lab.required
        try lab.flushNeighbours()
        let socket = try LabPingSocket.open(in: lab.dut, Self.family(of: target), .ping)
        #expect(socket.sendEcho(to: target, sequence: 1, payload: [1, 2, 3]) == 0)
        let resolving = try await Lab.eventually {
            let entry = try lab.neighbourEntry(target)
            return entry.contains("INCOMPLETE") || entry.contains("FAILED")
        }
        let entry = try lab.neighbourEntry(target)
        #expect(resolving, "ip neigh: \(entry)")
        #expect(!entry.contains("lladdr"))
    }

    @Test(
        "each route gives its errno",
        arguments: [
            (A.sink4, 0), (A.sink6, 0),
            (A.prohibit4, A.prohibitErrno), (A.prohibit6, A.prohibitErrno),
            (A.unreachable4, A.unreachableErrno), (A.unreachable6, A.unreachableErrno),
            (A.noRoute4, A.noRouteErrno), (A.noRoute6, A.noRouteErrno),
        ] as [(IPAddress, Int32)])
    func routeErrors(target: IPAddress, expected: Int32) async throws {
        let lab = try Lab.required
        for (dutRaw, kind) in Self.probers {
            let socket = try LabPingSocket.open(in: Self.namespace(lab, dutRaw: dutRaw), Self.family(of: target), kind)
            let result = socket.sendEcho(to: target, sequence: 7, payload: [0xAB])
            #expect(
                result == expected,
                "\(A.text(target)) from \(kind) socket: got \(String(cString: strerror(result))) (\(result))")
        }
    }

    @Test("the sink drops silently, without ARP or NDP", arguments: [false, true])
    func sinkDrops(dutRaw: Bool) async throws {
        let lab = try Lab.required
        let namespace = Self.namespace(lab, dutRaw: dutRaw)
        let targets = [A.sink4, A.sinkAddresses4(count: 2)[1], A.sink6, A.sinkAddresses6(count: 3)[2]]
        let before = try lab.sinkDropped(in: namespace)
        for target in targets {
            let socket = try LabPingSocket.open(in: namespace, Self.family(of: target), dutRaw ? .raw : .ping)
            #expect(socket.sendEcho(to: target, sequence: 9, payload: [1, 2, 3, 4]) == 0)
            #expect(try socket.receiveEchoReply(timeout: .milliseconds(50)) == nil)
        }
        // ifb drops what it did not receive by redirection, counting it as rx_dropped.
        #expect(try lab.sinkDropped(in: namespace) - before >= targets.count)
        let entries = try Lab.runChecked(
            nil, ["ip", "-n", namespace, "neigh", "show", "nud", "all", "dev", Lab.sinkInterface]
        ).split(separator: "\n")
        #expect(!entries.isEmpty)
        for entry in entries { #expect(entry.trimmingCharacters(in: .whitespaces).hasSuffix("NOARP"), "\(entry)") }
    }

    @Test("198.18.0.0/15 lies behind a router: its targets take no neighbour entry of their own", arguments: [false, true])
    func routedSinkSharesTheRoutersNeighbourEntry(dutRaw: Bool) async throws {
        let lab = try Lab.required
        let namespace = Self.namespace(lab, dutRaw: dutRaw)
        let socket = try LabPingSocket.open(in: namespace, .ipv4, dutRaw ? .raw : .ping)
        let targets = Array(A.sinkAddresses4(count: 64)[32...])
        for target in targets { #expect(socket.sendEcho(to: target, sequence: 7, payload: [7]) == 0) }
        let entries = try Lab.runChecked(
            nil, ["ip", "-n", namespace, "-4", "neigh", "show", "nud", "all", "dev", Lab.sinkInterface]
        ).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(entries.contains { $0.hasPrefix("203.0.113.126 ") }, "\(entries)")
        #expect(!entries.contains { $0.hasPrefix("198.18.") }, "\(entries)")
    }

    @Test("ping sockets: allowed in dut, refused in dutraw", arguments: [LabPingSocket.Family.ipv4, .ipv6])
    func pingSocketPolicy(family: LabPingSocket.Family) async throws {
        let lab = try Lab.required
        _ = try LabPingSocket.open(in: lab.dut, family, .ping)
        let error = #expect(throws: LabError.self) { try LabPingSocket.open(in: lab.dutRaw, family, .ping) }
        #expect(error?.systemError == EACCES)
    }

    @Test(
        "stray_reply.py forges a reply that reaches the prober's socket",
        arguments: [A.sink4, A.sink6].flatMap { target in
            ["copy", "wrong-token"].flatMap { mode in [false, true].map { (target, mode, $0) } }
        } as [(IPAddress, String, Bool)])
    func strayReply(target: IPAddress, mode: String, dutRaw: Bool) async throws {
        let lab = try Lab.required
        let namespace = Self.namespace(lab, dutRaw: dutRaw)
        let socket = try LabPingSocket.open(in: namespace, Self.family(of: target), dutRaw ? .raw : .ping)
        let tool = try LabProcess.start(
            namespace,
            ["python3", Lab.strayReplyScript.path, "--iface", Lab.sinkInterface, "--target", A.text(target),
             "--mode", mode])
        _ = try await tool.waitForLine(containing: "ready")
        let payload = Array("token-0123456789".utf8)
        #expect(socket.sendEcho(to: target, identifier: 0x1234, sequence: 4321, payload: payload) == 0)
        _ = try await tool.waitForLine(containing: "sent seq=4321")
        #expect(try await tool.waitForExit() == .exited(0))

        let reply = try #require(try socket.receiveEchoReply(timeout: .seconds(2)))
        #expect(reply.source == target)
        #expect(reply.sequence == 4321)
        if dutRaw { #expect(reply.identifier == 0x1234) }
        let expected = mode == "copy" ? payload : [payload[0] ^ 0xFF] + payload.dropFirst()
        #expect(reply.payload == expected)
    }

    @Test("stray_reply.py gives up after its timeout")
    func strayReplyTimeout() async throws {
        let lab = try Lab.required
        let tool = try LabProcess.start(
            lab.dut,
            ["python3", Lab.strayReplyScript.path, "--iface", Lab.sinkInterface, "--target", A.text(A.sink4),
             "--mode", "copy", "--timeout", "0.2"])
        _ = try await tool.waitForLine(containing: "ready")
        #expect(try await tool.waitForExit() == .exited(1))
        #expect(tool.errorOutput.contains("no echo request"))
    }
}
