import Prometheus
import ProbeProtocol
import Synchronization

/// The daemon's figures in Prometheus' text format.
///
/// The parts keep their own counters (cheap, lock-protected, also serving `stats`); at each scrape
/// the exporter brings the Prometheus registry up to date from them: counters grow by what
/// happened since the last scrape, gauges take the current value, and the round-trip histogram
/// gets the new echo replies, bucket by bucket.
package final class MetricsExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let checker: Checker
    private let engine: EchoEngine
    private let server: @Sendable () -> ServerStatistics
    private let metrics: Metrics
    private let last = Mutex(Snapshot())

    package init(checker: Checker, engine: EchoEngine, server: @escaping @Sendable () -> ServerStatistics) {
        self.checker = checker
        self.engine = engine
        self.server = server
        self.metrics = Metrics(registry: registry)
    }

    /// The current figures as Prometheus text (version 0.0.4).
    package func scrape() -> [UInt8] {
        let snapshot = Snapshot(checker: checker.statistics(), engine: engine.statistics(), server: server(), roundTrips: checker.roundTripHistogram())
        last.withLock { previous in
            metrics.advance(from: previous, to: snapshot)
            previous = snapshot
        }
        return registry.emitToBuffer()
    }

    /// Everything counted at one scrape.
    struct Snapshot: Sendable {
        var checker = CheckerStatistics()
        var engine = EchoStatistics()
        var server = ServerStatistics()
        var roundTrips = RTTHistogram()

        init() {}

        init(checker: CheckerStatistics, engine: EchoStatistics, server: ServerStatistics, roundTrips: RTTHistogram) {
            self.checker = checker
            self.engine = engine
            self.server = server
            self.roundTrips = roundTrips
        }
    }
}
