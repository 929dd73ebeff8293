import Prometheus
import ProbeProtocol

extension MetricsExporter {
    /// The registered metrics.
    struct Metrics: Sendable {
        let checks: [CheckerStatistics.Answer: Counter]
        let probeVerdicts: [VerdictState: Counter]
        let probeEvidence: [Evidence: Counter]
        let errors: [String: Counter]
        let cacheHits: Counter
        let coalesced: Counter
        let probes: Counter
        let echoRequests: Counter
        let replies: Counter
        let timeouts: Counter
        let unreachables: Counter
        let sendFailures: Counter
        let neighborConfirmations: Counter
        let ignoredReplies: Counter
        let receiveDrops: Counter
        let connections: Counter
        let inFlight: Gauge
        let cacheEntries: Gauge
        let openConnections: Gauge
        let roundTrip: ValueHistogram

        init(registry: PrometheusCollectorRegistry) {
            checks = Dictionary(uniqueKeysWithValues: Self.answers.map { answer in
                let labels = [("state", answer.state.rawValue), ("evidence", answer.evidence.rawValue)]
                return (answer, registry.makeCounter(descriptor: .probed("checks", unit: "total", "check requests answered with a verdict, by state and evidence."), labels: labels))
            })
            probeVerdicts = Dictionary(uniqueKeysWithValues: [VerdictState.inUse, .free, .unknown].map {
                ($0, registry.makeCounter(descriptor: .probed("probe_verdicts", unit: "total", "Verdicts of finished probes, by state."), labels: [("state", $0.rawValue)]))
            })
            probeEvidence = Dictionary(uniqueKeysWithValues: Evidence.allCases.map {
                ($0, registry.makeCounter(descriptor: .probed("probe_verdicts_by_evidence", unit: "total", "Verdicts of finished probes, by evidence."), labels: [("evidence", $0.rawValue)]))
            })
            errors = Dictionary(uniqueKeysWithValues: ProbeError.Code.allCases.map {
                ($0.rawValue, registry.makeCounter(descriptor: .probed("errors", unit: "total", "Error answers, by code."), labels: [("code", $0.rawValue)]))
            })
            cacheHits = registry.makeCounter(descriptor: .probed("cache_hits", unit: "total", "Answers from the verdict cache."))
            coalesced = registry.makeCounter(descriptor: .probed("coalesced", unit: "total", "Requests that joined a probe already in flight."))
            probes = registry.makeCounter(descriptor: .probed("probes", unit: "total", "Probes started by the echo engine."))
            echoRequests = registry.makeCounter(descriptor: .probed("echo_requests", unit: "total", "ICMP echo requests sent."))
            replies = registry.makeCounter(descriptor: .probed("replies", unit: "total", "Probes ended by a valid echo reply."))
            timeouts = registry.makeCounter(descriptor: .probed("timeouts", unit: "total", "Probes ended by their deadline in silence."))
            unreachables = registry.makeCounter(descriptor: .probed("unreachables", unit: "total", "Probes ended by ICMP unreachable."))
            sendFailures = registry.makeCounter(descriptor: .probed("send_failures", unit: "total", "Probes ended by a send error."))
            neighborConfirmations = registry.makeCounter(descriptor: .probed("neighbor_confirmations", unit: "total", "Probes ended by a confirmed neighbour entry."))
            ignoredReplies = registry.makeCounter(descriptor: .probed("ignored_replies", unit: "total", "Late, foreign, forged or malformed replies."))
            receiveDrops = registry.makeCounter(descriptor: .probed("receive_drops", unit: "total", "Datagrams the kernel dropped for lack of receive buffer."))
            connections = registry.makeCounter(descriptor: .probed("connections", unit: "total", "Client connections accepted."))
            inFlight = registry.makeGauge(descriptor: .probed("in_flight", unit: "", "Probes in flight."))
            cacheEntries = registry.makeGauge(descriptor: .probed("cache_entries", unit: "", "Verdicts in the cache."))
            openConnections = registry.makeGauge(descriptor: .probed("open_connections", unit: "", "Client connections open."))
            roundTrip = registry.makeValueHistogram(
                descriptor: .probed("rtt", unit: "seconds", "Round-trip time of echo replies."),
                buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
            )
        }

        /// The (state, evidence) pairs a verdict can have.
        static let answers: [CheckerStatistics.Answer] = [
            .init(state: .inUse, evidence: .echoReply), .init(state: .inUse, evidence: .neighbor), .init(state: .inUse, evidence: .marked),
            .init(state: .free, evidence: .timeout), .init(state: .free, evidence: .unreachable), .init(state: .free, evidence: .marked),
            .init(state: .unknown, evidence: .sendFailed), .init(state: .unknown, evidence: .notSent),
        ]

        /// Brings every metric from `previous` to `current`.
        func advance(from previous: Snapshot, to current: Snapshot) {
            func grow<Value: BinaryInteger>(_ counter: Counter, _ old: Value, _ new: Value) {
                if new > old { counter.increment(by: Int64(new - old)) }
            }
            for (answer, counter) in checks {
                grow(counter, previous.checker.answers[answer.state, answer.evidence], current.checker.answers[answer.state, answer.evidence])
            }
            for (state, counter) in probeVerdicts {
                grow(counter, previous.checker.verdicts[state: state], current.checker.verdicts[state: state])
            }
            for (evidence, counter) in probeEvidence {
                grow(counter, previous.checker.verdicts[evidence: evidence], current.checker.verdicts[evidence: evidence])
            }
            for code in ProbeError.Code.allCases {
                grow(errors[code.rawValue]!, previous.server.errors[code] ?? 0, current.server.errors[code] ?? 0)
            }
            grow(cacheHits, previous.checker.cacheHits, current.checker.cacheHits)
            grow(coalesced, previous.checker.coalesced, current.checker.coalesced)
            grow(probes, previous.engine.probes, current.engine.probes)
            grow(echoRequests, previous.engine.echoesSent, current.engine.echoesSent)
            grow(replies, previous.engine.replies, current.engine.replies)
            grow(timeouts, previous.engine.timeouts, current.engine.timeouts)
            grow(unreachables, previous.engine.unreachables, current.engine.unreachables)
            grow(sendFailures, previous.engine.sendFailures, current.engine.sendFailures)
            grow(neighborConfirmations, previous.engine.neighborConfirmations, current.engine.neighborConfirmations)
            grow(ignoredReplies, previous.engine.ignoredReplies, current.engine.ignoredReplies)
            grow(receiveDrops, previous.engine.receiveDrops, current.engine.receiveDrops)
            grow(connections, previous.server.connections, current.server.connections)
            inFlight.set(Int64(current.engine.inFlight))
            cacheEntries.set(Int64(current.checker.cacheEntries))
            openConnections.set(Int64(current.server.openConnections))
            // New replies, bucket by bucket, at each bucket's upper bound (at most 12.5 % high).
            let before = Dictionary(uniqueKeysWithValues: previous.roundTrips.occupiedBuckets.map { ($0.index, $0.count) })
            for bucket in current.roundTrips.occupiedBuckets {
                let added = bucket.count - min(bucket.count, before[bucket.index] ?? 0)
                for _ in 0..<added { roundTrip.record(Double(bucket.upperBound) / 1_000_000) }
            }
        }
    }
}

extension MetricNameDescriptor {
    /// `probed_<name>_<unit>`.
    static func probed(_ name: String, unit: String, _ help: String) -> Self {
        MetricNameDescriptor(namespace: "probed", metricName: name, unitName: unit, helpText: help)
    }
}
