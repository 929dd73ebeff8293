import CProbeSys
import Glibc
package import Logging
package import ProbeProtocol
import ServiceLifecycle
import Synchronization

/// Sends ICMP echo requests for every probe through one shared socket per address family, matches
/// the replies, and ends each probe at its deadline.
///
/// One loop thread owns the sockets: it sends (paced by ``Configuration/maxPacketsPerSecond``),
/// reads replies and ICMP errors in batches, and fires deadlines from a single timer heap. The
/// daemon starts probes with ``start(_:)`` (no task per probe; the lab tests await one through
/// that too); ``run()`` drives the loop and returns when its task is cancelled or the service
/// group shuts down.
package final class EchoEngine: Sendable {
    /// What the engine is allowed to do.
    package struct Configuration: Sendable, Hashable {
        /// Echo requests per second, over all probes and families.
        package var maxPacketsPerSecond: Int
        /// Probes in flight at once (each family is also bounded by its 65,536 sequence numbers).
        package var maxInFlight: Int
        /// Open an IPv6 socket too.
        package var ipv6: Bool
        /// The receive buffer to ask for per socket: enough for a burst of replies.
        package var receiveBufferBytes: Int
        /// Skip ping sockets and use raw sockets (tests of the fallback).
        package var preferRaw: Bool
        /// At the deadline, take a confirmed neighbour entry as proof of a host that drops echo.
        package var neighborEvidence: Bool
        /// How old a neighbour confirmation may be and still count (`probe.neighbor_max_age_s`).
        package var neighborMaxAge: Duration
        /// Send ARP probes and Neighbor Solicitations of our own to on-link targets, where the
        /// process may (`probe.neighbor_solicit: auto`; ``NeighborSolicitor``).
        package var neighborSolicit: Bool

        package init(
            maxPacketsPerSecond: Int = 20_000,
            maxInFlight: Int = 30_000,
            ipv6: Bool = true,
            receiveBufferBytes: Int = 8 << 20,
            preferRaw: Bool = false,
            neighborEvidence: Bool = true,
            neighborMaxAge: Duration = .seconds(30),
            neighborSolicit: Bool = true
        ) {
            self.maxPacketsPerSecond = maxPacketsPerSecond
            self.maxInFlight = maxInFlight
            self.ipv6 = ipv6
            self.receiveBufferBytes = receiveBufferBytes
            self.preferRaw = preferRaw
            self.neighborEvidence = neighborEvidence
            self.neighborMaxAge = neighborMaxAge
            self.neighborSolicit = neighborSolicit
        }
    }

    /// The socket kind of each open family (`info`'s `socket_kind`).
    package let socketKinds: [IPFamily: EchoSocket.Kind]
    /// Why a family is not available, when it is not.
    package let unavailableFamilies: [IPFamily: String]
    /// The receive buffer each socket got, in bytes.
    package let receiveBufferBytes: [IPFamily: Int]

    let state: Mutex<State>
    /// The neighbour table, read by the loop thread only (nil when rtnetlink could not be opened).
    let neighbors: NeighborSnapshot?
    /// How many probes of on-link targets may be in flight at once: half of `gc_thresh3`, and no
    /// more than the ICMP sockets' send buffers can hold while ARP/NDP resolves them.
    package let onLinkProbeBudget: Int
    let wakeDescriptor: Int32
    let logger: Logger

    /// Opens the sockets. Call it where they must live (before dropping privileges, inside a
    /// network namespace); ``run()`` may then be called from anywhere.
    ///
    /// - Throws: ``EchoSocketError`` when IPv4 cannot be opened at all (IPv6 failing only makes that
    ///   family unavailable, reported in ``unavailableFamilies``).
    package convenience init(configuration: Configuration, logger: Logger) throws(EchoSocketError) {
        var sockets: [EchoSocket?] = [nil, nil]
        var unavailable: [IPFamily: String] = [:]
        sockets[0] = try EchoSocket.open(family: .ipv4, receiveBufferBytes: configuration.receiveBufferBytes, preferRaw: configuration.preferRaw)
        if configuration.ipv6 {
            do {
                sockets[1] = try EchoSocket.open(family: .ipv6, receiveBufferBytes: configuration.receiveBufferBytes, preferRaw: configuration.preferRaw)
            } catch {
                if error.code == .noPermission { throw error }
                unavailable[.ipv6] = error.message
                logger.warning("IPv6 probing is unavailable", metadata: ["reason": "\(error.message)"])
            }
        } else {
            unavailable[.ipv6] = "IPv6 probing is turned off (probe.ipv6)"
        }
        // The neighbour table is read through rtnetlink, opened here so that it belongs to the same
        // network namespace as the ICMP sockets. Without it, neighbour evidence is off.
        var neighbors: NeighborTable?
        do {
            neighbors = try NeighborTable()
        } catch {
            logger.warning("neighbour evidence is unavailable", metadata: ["reason": "\(error)"])
        }
        try self.init(sockets: sockets, unavailableFamilies: unavailable, neighbors: neighbors, configuration: configuration, logger: logger)
    }

    /// An engine over sockets already open (by index: IPv4, IPv6; nil for a family that is not
    /// available, `unavailableFamilies` saying why) and the neighbour table, if any. The engine's
    /// unit tests build one with sockets that are never used, and never run it.
    ///
    /// - Throws: ``EchoSocketError`` when the wake-up `eventfd` cannot be made.
    init(
        sockets: sending [EchoSocket?], unavailableFamilies unavailable: [IPFamily: String], neighbors: NeighborTable?,
        configuration: Configuration, logger: Logger
    ) throws(EchoSocketError) {
        var kinds: [IPFamily: EchoSocket.Kind] = [:]
        var buffers: [IPFamily: Int] = [:]
        for (family, socket) in zip([IPFamily.ipv4, .ipv6], sockets) {
            guard let socket else { continue }
            kinds[family] = socket.kind
            buffers[family] = socket.receiveBufferBytes
        }
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else {
            let code = errno
            throw EchoSocketError(code: .system, family: .ipv4, message: "eventfd failed: \(EchoSocket.describe(errno: code))", errno: code)
        }
        self.socketKinds = kinds
        self.unavailableFamilies = unavailable
        self.receiveBufferBytes = buffers
        self.wakeDescriptor = wake
        self.logger = logger
        self.neighbors = neighbors.map(NeighborSnapshot.init(table:))
        var initial = State(sockets: sockets, configuration: configuration, now: MonotonicTime.now())
        // Read here, in the namespace the sockets belong to.
        // Bounded by half the neighbour table, and by the send buffer, where each echo to an
        // unresolved on-link target waits (about 1 KiB of buffer accounting each).
        let sendBuffer = sockets.compactMap { $0?.sendBufferBytes }.min() ?? 0
        // gc_thresh3 comes through rtnetlink: /proc/sys is hidden under the shipped unit.
        let tableBudget = NeighborTable.onLinkProbeBudget(gcThresh3: (try? neighbors?.gcThresh3()) ?? nil)
        initial.maxOnLinkInFlight = max(16, min(tableBudget, sendBuffer / 1024))
        if let prefixes = try? neighbors?.linkPrefixes() { initial.linkPrefixes = prefixes }
        if configuration.neighborSolicit { initial.openSolicitor(logger: logger) }
        self.onLinkProbeBudget = initial.maxOnLinkInFlight
        self.state = Mutex(initial)
    }

    deinit {
        close(wakeDescriptor)
    }

    /// Starts probes without tasks, all under one acquisition of the lock: each completion gets
    /// its probe's outcome on the engine's loop thread (at once, on the calling thread, when the
    /// engine refuses the probe: `overloaded`, `unavailable`). A probe's deadline, and the half of
    /// it by which an echo must leave, count from its `startedAt`, when the request was read.
    ///
    /// This is the daemon's path: no suspension, no allocation beyond the records.
    package func start(_ probes: [ProbeStart]) {
        guard !probes.isEmpty else { return }
        var refused: [(Int, ProbeOutcome.Result)] = []
        let wake = state.withLock { state -> Bool in
            var wake = false
            for (index, probe) in probes.enumerated() {
                let reservation = state.reserve(
                    address: probe.address,
                    timeout: MonotonicTime.nanoseconds(probe.timeout),
                    attempts: max(1, probe.attempts),
                    background: probe.priority == .background,
                    now: probe.startedAt,
                    tag: probe.tag
                )
                switch reservation {
                case .refused(let result):
                    refused.append((index, result))
                case .reserved(let slot, _):
                    if state.schedule(slot: slot, completion: probe.completion) { wake = true }
                }
            }
            return wake
        }
        if wake { wakeLoop() }
        for (index, result) in refused {
            let probe = probes[index]
            probe.completion(ProbeOutcome(target: probe.address, result: result, echoesSent: 0, startedAt: probe.startedAt, tag: probe.tag))
        }
    }

    /// Waits for the loop thread to come round once: proof that it is not wedged (the watchdog).
    ///
    /// - Returns: true when the loop turned; false when the calling task was cancelled first (the
    ///   caller's timeout) or the loop has stopped.
    package func heartbeat() async -> Bool {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextHeartbeat += 1 }
            return state.nextHeartbeat
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let parked = state.withLock { state -> Bool in
                    guard !state.stopped, !Task.isCancelled else { return false }
                    state.heartbeats[id] = continuation
                    return true
                }
                if parked { wakeLoop() } else { continuation.resume(returning: false) }
            }
        } onCancel: {
            let waiting = state.withLock { $0.heartbeats.removeValue(forKey: id) }
            waiting?.resume(returning: false)
        }
    }

    /// The counters so far.
    package func statistics() -> EchoStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.inFlight = state.inFlight
            statistics.onLinkInFlight = state.onLinkInFlight
            return statistics
        }
    }

    /// Applies new limits (a configuration reload). Probes in flight are not affected.
    package func update(_ configuration: Configuration) {
        state.withLock { state in
            state.pacer.update(ratePerSecond: configuration.maxPacketsPerSecond, now: MonotonicTime.now())
            state.maxInFlight = configuration.maxInFlight
            state.neighborEvidence = configuration.neighborEvidence
            state.neighborMaxAge = configuration.neighborMaxAge
            state.soliciting = configuration.neighborSolicit
            if configuration.neighborSolicit, state.solicitor == nil { state.openSolicitor(logger: logger) }
        }
        wakeLoop()
    }

    /// Whether probes of on-link targets send ARP probes and Neighbor Solicitations of their own
    /// (`info`'s `neighbor_solicit`): `arp+ndp`, `off` (`probe.neighbor_solicit: off`, or
    /// `probe.neighbor_evidence: false`), or `unavailable` (the sockets could not be opened: no
    /// `CAP_NET_RAW`).
    package var neighborSolicitation: String {
        state.withLock { state in
            guard state.soliciting, state.neighborEvidence else { return "off" }
            return state.solicitor == nil ? "unavailable" : "arp+ndp"
        }
    }

    /// The directly connected subnets, as the loop last read them: probes of targets inside them
    /// count against ``onLinkProbeBudget``.
    package var linkPrefixes: [IPPrefix] {
        state.withLock { $0.linkPrefixes.prefixes }
    }

    /// Whether deadlines consult the neighbour table now (configured on, and rtnetlink available).
    package var neighborEvidenceActive: Bool {
        neighbors != nil && state.withLock { $0.neighborEvidence }
    }

    /// Runs the loop until the calling task is cancelled or a graceful shutdown begins; then ends
    /// every probe still in flight (as not sent) and returns.
    package func run() async {
        await withTaskCancellationOrGracefulShutdownHandler {
            await DedicatedThread.run(named: "probed-echo") { [self] in
                self.loop()
            }
        } onCancelOrGracefulShutdown: {
            self.state.withLock { $0.stopRequested = true }
            self.wakeLoop()
        }
    }

    func wakeLoop() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }
}

extension EchoEngine: Service {}

extension EchoEngine {
    /// A probe of an on-link target at its deadline, waiting for the neighbour table (only such a
    /// target can have a neighbour entry of its own).
    struct ExpiringProbe: Sendable {
        let slot: Int32
        let id: UInt64
        let address: IPAddress
        let startedAt: UInt64
    }
}

extension EchoEngine: CustomStringConvertible {
    package var description: String { "EchoEngine" }
}
