import Logging
import ProbeProtocol

/// A target that a solicitation went to (the zone plays no part: the interface is kept apart).
struct SolicitedTarget: Hashable {
    let family: EchoFamily
    let high: UInt64
    let low: UInt64
}

/// The probe a solicitation was sent for, and where.
struct SolicitedProbe {
    let slot: Int32
    let id: UInt64
    let interface: UInt32
}

extension EchoEngine.State {
    /// Opens the ARP and ICMPv6 sockets of the ``NeighborSolicitor``; without `CAP_NET_RAW` the
    /// engine goes on without them, and says so.
    mutating func openSolicitor(logger: Logger) {
        do {
            solicitor = try NeighborSolicitor.open()
            logger.info("neighbour solicitation: ARP probes and Neighbor Solicitations go to on-link targets (neighbor_solicit arp+ndp)")
        } catch {
            if error.isPermission {
                logger.notice(
                    "neighbour solicitation is unavailable without CAP_NET_RAW (neighbor_solicit unavailable): an echo-dropping host whose neighbour entry is stale is answered free",
                    metadata: ["reason": "\(error.description)"])
            } else {
                logger.warning("neighbour solicitation is unavailable", metadata: ["reason": "\(error.description)"])
            }
        }
    }

    /// The interface out of which to solicit `record`'s target with its next echo, or 0 for none:
    /// only for on-link targets, only while soliciting (an answer is neighbour evidence: not with
    /// `probe.neighbor_evidence` off either), and only with a pacer token of its own
    /// (solicitations count against `probe.max_pps`; without a token, the echo goes alone).
    mutating func solicitationInterface(for record: ProbeRecord, slot: Int32, now: UInt64) -> UInt32 {
        guard soliciting, neighborEvidence, solicitor != nil, record.onLink || record.target.scopeID != 0 else { return 0 }
        let interface =
            record.target.scopeID != 0 ? record.target.scopeID : linkPrefixes.interface(for: address(of: record, slot: slot)) ?? 0
        guard interface != 0, pacer.take(now: now) else { return 0 }
        return interface
    }

    /// Notes a solicitation that left for the probe of `echo`: an answer naming its target on its
    /// interface now ends it.
    mutating func noteSolicitation(_ echo: PendingEcho, record: ProbeRecord) {
        statistics.solicitationsSent += 1
        let target = SolicitedTarget(family: record.target.family, high: record.target.high, low: record.target.low)
        solicited[target] = SolicitedProbe(slot: echo.event.slot, id: record.id, interface: echo.solicitOn)
    }

    /// Forgets the solicitation of an ending probe (a later probe of the target may have taken
    /// its place: that one stays).
    mutating func forgetSolicitation(of record: ProbeRecord, slot: Int32) {
        let target = SolicitedTarget(family: record.target.family, high: record.target.high, low: record.target.low)
        if solicited[target]?.slot == slot { solicited[target] = nil }
    }

    /// How long an answered solicitation waits for an echo reply before it ends the probe as
    /// `neighbor`: a live host that answers both is `echo_reply` with its round trip, as without
    /// solicitations (its ARP answer comes just before its echo reply, which waited for the
    /// kernel's own ARP resolution). Never past the deadline.
    static let answerGrace: UInt64 = 20_000_000

    /// Takes the claims read from the solicitor: an ARP packet or Neighbor Advertisement from a
    /// solicited target's own address, on the interface the solicitation left by, makes its probe
    /// `neighbor` with the sender's MAC after ``answerGrace`` (or at its deadline, if sooner),
    /// unless an echo reply ends it first. A claim for an address no live probe solicited, or on
    /// another interface, changes nothing.
    mutating func settle(_ claims: [(claim: SolicitationPacket.Claim, interface: UInt32)], now: UInt64) {
        for (claim, interface) in claims {
            let target = SolicitedTarget(family: claim.family, high: claim.high, low: claim.low)
            guard let probe = solicited[target], probe.interface == interface, let record = probes[Int(probe.slot)],
                record.id == probe.id, isScheduled(probe.slot), answeredSolicitations[probe.slot] == nil
            else { continue }
            statistics.solicitationAnswers += 1
            answeredSolicitations[probe.slot] = NeighborEntry.formatLinkLayerAddress(claim.mac)
            if now + Self.answerGrace < record.deadline {
                timers.insert(ProbeEvent(slot: probe.slot, id: probe.id, kind: .answered), at: now + Self.answerGrace)
            }
        }
    }

    /// Ends a probe whose solicitation was answered and whose grace has passed with no echo reply.
    mutating func endAnswered(slot: Int32) {
        guard let mac = answeredSolicitations[slot] else { return }
        end(slot: slot, .neighbor(mac: mac))
    }
}
