@testable import ProbeCore
import ProbeProtocol
import Testing

/// The neighbour-evidence decision rule (docs/operations.md, "Neighbour evidence and its limits"), case by case.
@Suite struct NeighborEvidenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var state: NeighborState
        var mac: String? = "02:00:00:00:00:14"
        var confirmedAgo: Duration?
        var probeAge: Duration = .milliseconds(300)
        var maxAge: Duration = .seconds(30)
        var confirms: Bool

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // REACHABLE with an address confirms, however long ago (reachable_time bounds it).
        Case(name: "REACHABLE, just confirmed", state: .reachable, confirmedAgo: .zero, confirms: true),
        Case(name: "REACHABLE, confirmed 40 s ago", state: .reachable, confirmedAgo: .seconds(40), confirms: true),
        Case(name: "REACHABLE without cacheinfo", state: .reachable, confirmedAgo: nil, confirms: true),
        Case(name: "REACHABLE without a MAC", state: .reachable, mac: nil, confirmedAgo: .zero, confirms: false),
        Case(name: "REACHABLE with an empty MAC", state: .reachable, mac: "", confirmedAgo: .zero, confirms: false),
        // STALE: only through its confirmation time.
        Case(name: "STALE, confirmed during the probe", state: .stale, confirmedAgo: .milliseconds(100), maxAge: .zero, confirms: true),
        Case(name: "STALE, confirmed within max age", state: .stale, confirmedAgo: .seconds(29), confirms: true),
        Case(name: "STALE, confirmed exactly max age ago", state: .stale, confirmedAgo: .seconds(30), confirms: false),
        Case(name: "STALE, confirmed long ago", state: .stale, confirmedAgo: .seconds(120), confirms: false),
        Case(name: "STALE without cacheinfo", state: .stale, confirmedAgo: nil, confirms: false),
        Case(name: "STALE, max age 0, before the probe", state: .stale, confirmedAgo: .seconds(1), maxAge: .zero, confirms: false),
        Case(name: "STALE, confirmed as the probe began", state: .stale, confirmedAgo: .milliseconds(300), maxAge: .zero, confirms: false),
        // DELAY and PROBE are stale entries being reconfirmed: the same rule.
        Case(name: "DELAY, confirmed 2 s ago", state: .delay, confirmedAgo: .seconds(2), confirms: true),
        Case(name: "PROBE, confirmed 45 s ago", state: .probe, confirmedAgo: .seconds(45), confirms: false),
        Case(name: "PROBE, confirmed 5.57 s ago", state: .probe, confirmedAgo: .milliseconds(5570), confirms: true),
        Case(name: "NONE with a MAC, recent", state: .none, confirmedAgo: .seconds(1), confirms: true),
        // Never.
        Case(name: "INCOMPLETE", state: .incomplete, mac: nil, confirmedAgo: .milliseconds(60_300), confirms: false),
        Case(name: "INCOMPLETE with a MAC, recent", state: .incomplete, confirmedAgo: .zero, confirms: false),
        Case(name: "FAILED", state: .failed, mac: nil, confirmedAgo: .zero, confirms: false),
        Case(name: "FAILED with a MAC, recent", state: .failed, confirmedAgo: .zero, confirms: false),
        Case(name: "NOARP", state: .noARP, mac: "00:00:00:00:00:00", confirmedAgo: .zero, confirms: false),
        Case(name: "NOARP|REACHABLE", state: [.noARP, .reachable], confirmedAgo: .zero, confirms: false),
        Case(name: "PERMANENT", state: .permanent, confirmedAgo: .zero, confirms: false),
        Case(name: "PERMANENT|REACHABLE", state: [.permanent, .reachable], confirmedAgo: .zero, confirms: false),
    ]

    @Test("the decision rule", arguments: cases)
    func rule(_ testCase: Case) {
        let entry = NeighborEntry(
            address: .v4(IPv4Address(198, 51, 100, 20)), interfaceIndex: 2, state: testCase.state,
            linkLayerAddress: testCase.mac, confirmedAgo: testCase.confirmedAgo)
        let result = NeighborEvidence.confirms(entry, probeAge: testCase.probeAge, maxAge: testCase.maxAge)
        #expect(result == testCase.confirms, "\(entry), probe age \(testCase.probeAge), max age \(testCase.maxAge)")
    }

    @Test func capturedEntries() throws {
        typealias C = NeighborCaptures
        func confirms(_ bytes: [UInt8], probeAge: Duration = .milliseconds(300), maxAge: Duration = .seconds(30)) throws -> Bool {
            guard case .message(let message) = NeighborMessage.parse(messageBytes: bytes) else {
                throw NeighborMessageTests.ParseFailure(description: "not parsed")
            }
            return NeighborEvidence.confirms(message.entry, probeAge: probeAge, maxAge: maxAge)
        }
        #expect(try confirms(C.reachable4))
        #expect(try confirms(C.reachable6))
        #expect(try confirms(C.reachableLinkLocal6))
        #expect(try confirms(C.reachableEvent4))
        #expect(try confirms(C.staleEventLinkLocal6))
        #expect(try !confirms(C.staleEventLinkLocal6, maxAge: .milliseconds(500)))
        #expect(try confirms(C.delay4))
        #expect(try !confirms(C.incomplete4))
        #expect(try !confirms(C.incomplete6))
        #expect(try !confirms(C.failed4))
        #expect(try !confirms(C.failedEvent6))
        #expect(try !confirms(C.noARP4))
        #expect(try !confirms(C.noARPMulticast6))
    }
}
