import CProbeSys
import Glibc
import ProbeProtocol
package import Logging
import ServiceLifecycle
import Synchronization

/// Passive evidence for the warm pools (docs/pools.md): listens to the kernel's neighbour events
/// (`RTNLGRP_NEIGH`) and hands those that show a host on the link (``PassiveEvidence``) to the
/// ``Checker``, which turns a pool address's
/// `free` verdict `in_use` at once (``Checker/observeNeighbors(_:)``).
///
/// One thread waits in `poll(2)` on the monitor socket and an `eventfd` that ends it; the socket
/// is opened by ``init(configuration:checker:logger:)`` in the calling thread's network namespace.
/// Without rtnetlink the watcher logs why and does nothing.
package final class NeighborWatcher: Sendable {
    /// What the watcher needs of the daemon's configuration.
    package struct Configuration: Sendable, Hashable {
        /// `probe.neighbor_evidence`: passive evidence is neighbour evidence too.
        package var enabled: Bool
        /// `probe.neighbor_max_age_s`: the oldest confirmation that counts.
        package var maxAge: Duration
        /// Whether there are pools to watch for: without, the socket leaves the neighbour group,
        /// so that a burst of probes (each a neighbour entry created and destroyed) costs no events.
        package var watching: Bool

        package init(enabled: Bool = true, maxAge: Duration = .seconds(30), watching: Bool = true) {
            self.enabled = enabled
            self.maxAge = maxAge
            self.watching = watching
        }
    }

    /// Counters, for tests and diagnostics.
    package struct Statistics: Sendable, Hashable {
        /// Neighbour events read.
        package var events = 0
        /// Events that showed a host on the link.
        package var hosts = 0
        /// Pool verdicts turned `in_use` by them.
        package var turned = 0
        /// Times the kernel dropped events (the receive buffer overflowed).
        package var lost = 0
    }

    struct State: Sendable {
        var configuration: Configuration
        var stopRequested = false
        /// The socket rejoined the neighbour group: events were missed, dump the table again.
        var resynchronize = false
        var statistics = Statistics()
    }

    let checker: Checker
    let logger: Logger
    let state: Mutex<State>
    /// The monitor socket and a table to dump; `nil` when rtnetlink could not be opened.
    let sockets: Mutex<Sockets>
    let monitorDescriptor: Int32
    let wakeDescriptor: Int32

    /// Opens the monitor socket here (the network namespace of the calling thread).
    package init(configuration: Configuration, checker: Checker, logger: Logger) {
        self.checker = checker
        self.logger = logger
        self.state = Mutex(State(configuration: configuration))
        var sockets = Sockets()
        do {
            // The monitor first: events from then on queue while the table is dumped.
            sockets.monitor = try NetlinkSocket.openMonitor()
            sockets.table = try NeighborTable()
        } catch {
            logger.warning("passive neighbour evidence is unavailable", metadata: ["reason": "\(error)"])
            sockets = Sockets()
        }
        if !configuration.watching { sockets.monitor?.setMembership(Netlink.neighborGroup, joined: false) }
        self.monitorDescriptor = sockets.monitor?.descriptor ?? -1
        self.sockets = Mutex(sockets)
        self.wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit {
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    /// Whether neighbour events are being read.
    package var isActive: Bool { monitorDescriptor >= 0 && wakeDescriptor >= 0 }

    /// Applies a reloaded configuration; pools appearing or going away join or leave the
    /// neighbour group.
    package func update(_ configuration: Configuration) {
        let wasWatching = state.withLock { state in
            defer { state.configuration = configuration }
            return state.configuration.watching
        }
        guard wasWatching != configuration.watching else { return }
        sockets.withLock { _ = $0.monitor?.setMembership(Netlink.neighborGroup, joined: configuration.watching) }
        if configuration.watching {
            state.withLock { $0.resynchronize = true }
            var one: UInt64 = 1
            _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// The counters so far.
    package func statistics() -> Statistics {
        state.withLock { $0.statistics }
    }

    /// Reads every event waiting on the monitor and applies those that show a host.
    func drain(_ evidence: inout PassiveEvidence) {
        let configuration = state.withLock { $0.configuration }
        var hosts: [NeighborEntry] = []
        var events = 0
        var lost = 0
        sockets.withLock { sockets in
            guard let socket = sockets.monitor else { return }
            var more = true
            while more {
                do {
                    let summary = try socket.readEvents(limit: 64) { message in
                        events += 1
                        if evidence.showsHost(message, maxAge: configuration.maxAge), configuration.enabled {
                            hosts.append(message.entry)
                        }
                    }
                    if summary.lost {
                        lost += 1
                        evidence.desynchronize()
                    }
                    more = summary.more
                } catch {
                    logger.warning("reading neighbour events failed", metadata: ["error": "\(error)"])
                    more = false
                }
            }
            if !evidence.synchronized { synchronize(&evidence, table: sockets.table) }
        }
        let turned = checker.observeNeighbors(hosts)
        if turned > 0, logger.logLevel <= .debug {
            logger.debug("passive evidence", metadata: ["hosts": "\(hosts.map(\.address))", "turned": "\(turned)"])
        }
        state.withLock { state in
            state.statistics.events += events
            state.statistics.hosts += hosts.count
            state.statistics.turned += turned
            state.statistics.lost += lost
        }
    }

    /// The watcher thread: waits for events or the wake-up that ends it.
    func loop() {
        var polls = [
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: monitorDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        var evidence = PassiveEvidence()
        sockets.withLock { synchronize(&evidence, table: $0.table) }
        while !state.withLock({ $0.stopRequested }) {
            polls[0].revents = 0
            polls[1].revents = 0
            let ready = poll(&polls, 2, -1)
            if ready < 0 {
                let code = errno
                if code == EINTR { continue }
                logger.error("poll on the neighbour monitor failed; passive evidence stops", metadata: ["errno": "\(code)"])
                return
            }
            if polls[0].revents != 0 {
                var value: UInt64 = 0
                _ = read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
                if state.withLock({ state in defer { state.resynchronize = false }; return state.resynchronize }) {
                    evidence.desynchronize()
                    drain(&evidence)
                }
            }
            if polls[1].revents != 0 { drain(&evidence) }
        }
    }
}

extension NeighborWatcher {
    /// The rtnetlink sockets, used by the watcher thread only.
    struct Sockets {
        var monitor: NetlinkSocket?
        var table: NeighborTable?
    }

    /// Fills `evidence`'s mirror from a dump of both families (after startup, or lost events).
    func synchronize(_ evidence: inout PassiveEvidence, table: NeighborTable?) {
        guard let table else { return }
        do {
            evidence.synchronize(with: try table.dump(family: .ipv4) + table.dump(family: .ipv6))
        } catch {
            logger.warning("dumping the neighbour table failed", metadata: ["error": "\(error)"])
        }
    }
}

extension NeighborWatcher: Service {
    /// Watches until a graceful shutdown begins or the calling task is cancelled.
    package func run() async {
        guard isActive else {
            // Nothing to watch; a service that returned early would end the whole group.
            try? await gracefulShutdown()
            return
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await DedicatedThread.run(named: "probed-neigh") { [self] in
                self.loop()
            }
        } onCancelOrGracefulShutdown: {
            self.state.withLock { $0.stopRequested = true }
            var one: UInt64 = 1
            _ = write(self.wakeDescriptor, &one, MemoryLayout<UInt64>.size)
        }
        if !state.withLock({ $0.stopRequested }) {
            // The thread gave up (a failing poll): wait for the end like a healthy watcher.
            try? await gracefulShutdown()
        }
    }
}

extension NeighborWatcher: CustomStringConvertible {
    package var description: String { "NeighborWatcher" }
}
