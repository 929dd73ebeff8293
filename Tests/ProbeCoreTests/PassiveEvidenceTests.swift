import ProbeProtocol
import Testing

@testable import ProbeCore

/// Which neighbour events count as a host on the link, given what the table held before.
@Suite struct PassiveEvidenceTests {
    /// Feeds events to one ``PassiveEvidence`` (a class, so that `#expect` can call it).
    final class Feed {
        var state = PassiveEvidence()

        init(table: [NeighborEntry]? = []) {
            if let table { state.synchronize(with: table) }
        }

        func callAsFunction(_ event: NeighborMessage) -> Bool { state.showsHost(event, maxAge: .seconds(30)) }
    }

    static let address = IPAddress("198.51.100.25")!
    static let mac = "02:00:00:00:00:25"

    static func entry(
        _ state: NeighborState,
        mac: String? = PassiveEvidenceTests.mac,
        confirmedAgo: Duration = .seconds(60),
        updatedAgo: Duration = .zero
    ) -> NeighborEntry {
        NeighborEntry(
            address: address, interfaceIndex: 2, state: state, linkLayerAddress: mac,
            confirmedAgo: confirmedAgo, usedAgo: .zero, updatedAgo: updatedAgo)
    }

    static func event(
        _ state: NeighborState,
        mac: String? = PassiveEvidenceTests.mac,
        confirmedAgo: Duration = .seconds(60),
        updatedAgo: Duration = .zero,
        kind: NeighborMessage.Kind = .new
    ) -> NeighborMessage {
        NeighborMessage(kind: kind, entry: entry(state, mac: mac, confirmedAgo: confirmedAgo, updatedAgo: updatedAgo))
    }

    @Test func aHostThatSpeaksWhileItsAddressIsBeingResolvedCounts() {
        // A sweep's probe left an INCOMPLETE entry (the kernel reports none); the host's ARP
        // request fills it in and the kernel at once sends the queued echo: the only event shows
        // DELAY, confirmed long ago.
        let evidence = Feed(table: [Self.entry(.incomplete, mac: nil)])
        #expect(evidence(Self.event(.delay)))
        // Once: the same DELAY again is a probe using a known entry.
        #expect(!evidence(Self.event(.delay)))
    }

    @Test func anEntryThatGetsAnAddressAfterFailingCounts() {
        let evidence = Feed()
        #expect(!evidence(Self.event(.failed, mac: nil)))
        #expect(evidence(Self.event(.stale, updatedAgo: .seconds(5))))
    }

    @Test func aProbeUsingTheStaleEntryOfAHostThatLeftDoesNotCount() {
        let evidence = Feed(table: [Self.entry(.stale, updatedAgo: .seconds(40))])
        #expect(!evidence(Self.event(.delay)))
        #expect(!evidence(Self.event(.probe)))
        #expect(!evidence(Self.event(.failed, mac: nil)))
    }

    @Test func withoutADumpOnlyTheRuleApplies() {
        let evidence = Feed(table: nil)
        #expect(!evidence(Self.event(.delay)))
        #expect(evidence(Self.event(.stale)))
        let lost = Feed()
        lost.state.desynchronize()
        #expect(!lost(Self.event(.delay)))
    }

    @Test func theStatelessRuleStillApplies() {
        let evidence = Feed(table: [Self.entry(.stale, updatedAgo: .seconds(40))])
        #expect(evidence(Self.event(.reachable, confirmedAgo: .zero)))
        #expect(evidence(Self.event(.stale)))
        #expect(!evidence(Self.event(.stale, updatedAgo: .seconds(5))))
        #expect(!Feed()(Self.event(.noARP)))
    }

    @Test func aRemovedEntryIsForgottenAndNeverCounts() {
        let evidence = Feed(table: [Self.entry(.stale, updatedAgo: .seconds(40))])
        #expect(!evidence(Self.event(.stale, updatedAgo: .seconds(40), kind: .deleted)))
        #expect(evidence.state.resolved.isEmpty)
        // Gone from the table, then back with an address: the host spoke.
        #expect(evidence(Self.event(.delay)))
    }
}
