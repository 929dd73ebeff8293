import CProbeSys
import Glibc
import Logging
import ProbeProtocol
import Synchronization

extension EchoEngine {
    /// The loop thread: fire due timers, send what the pacer allows, wait for the sockets, read.
    func loop() {
        let batch = ReceiveBatch()
        let descriptors = state.withLock { state in state.sockets.map { $0?.descriptor ?? -1 } }
        var polls = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: 3)
        polls[0] = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)

        while true {
            let heartbeats = state.withLock { state in
                defer { state.heartbeats.removeAll() }
                return Array(state.heartbeats.values)
            }
            for heartbeat in heartbeats { heartbeat.resume(returning: true) }
            if let prefixes = neighbors?.linkPrefixes(now: MonotonicTime.now()) {
                state.withLock { $0.linkPrefixes = prefixes }
            }
            let hasNeighbors = neighbors != nil
            let (timeout, wantWrite, stop, completions, lookup) = state.withLock { state in
                let now = MonotonicTime.now()
                if state.stopRequested {
                    state.stopAll()
                    return (Int64(-1), [false, false], true, state.takeCompletions(), ([EchoEngine.ExpiringProbe](), Duration.zero))
                }
                state.fireTimers(now: now)
                // Deadlines wait for the neighbour table, read outside the lock; without it they end now.
                // Routed targets have no neighbour entry of their own: only on-link ones wait for a dump.
                var lookup: [EchoEngine.ExpiringProbe] = []
                if hasNeighbors && state.neighborEvidence {
                    lookup = state.expiring.filter(\.onLink)
                }
                if lookup.isEmpty { state.endExpiring(evidence: [:]) }
                let wantWrite = state.sendDue(now: now, packet: batch.packet)
                let timeout = lookup.isEmpty ? state.nextWakeup(now: MonotonicTime.now(), blocked: wantWrite.contains(true)) : 0
                return (timeout, wantWrite, false, state.takeCompletions(), (lookup, state.neighborMaxAge))
            }
            for completion in completions { completion.resume() }
            if stop { return }
            if !lookup.0.isEmpty, let neighbors {
                var evidence: [Int32: String] = [:]
                var failed = false
                do {
                    evidence = try neighbors.evidence(for: lookup.0, maxAge: lookup.1, now: MonotonicTime.now())
                } catch {
                    failed = true
                }
                let decided = state.withLock { state in
                    if failed { state.statistics.neighborErrors += 1 }
                    state.endExpiring(evidence: evidence)
                    return state.takeCompletions()
                }
                for completion in decided { completion.resume() }
                continue
            }

            for family in 0..<2 {
                polls[family + 1] = pollfd(
                    fd: descriptors[family],
                    events: Int16(POLLIN) | (wantWrite[family] ? Int16(POLLOUT) : 0),
                    revents: 0
                )
            }
            let ready = cprobe_ppoll(&polls, 3, timeout)
            if ready < 0 {
                let code = errno
                if code != EINTR { logger.error("ppoll failed", metadata: ["errno": "\(code)"]) }
                continue
            }
            if ready == 0 { continue }
            if polls[0].revents != 0 {
                var value: UInt64 = 0
                _ = read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
            }
            let events = [polls[1].revents, polls[2].revents]
            let received = state.withLock { state in
                for family in 0..<2 where events[family] & Int16(POLLIN | POLLERR) != 0 {
                    state.receive(family: family, batch: batch, readErrors: events[family] & Int16(POLLERR) != 0)
                }
                return state.takeCompletions()
            }
            for completion in received { completion.resume() }
        }
    }
}

extension EchoEngine.State {
    mutating func takeCompletions() -> [Completion] {
        guard !completions.isEmpty else { return [] }
        let taken = completions
        completions.removeAll(keepingCapacity: true)
        return taken
    }

    /// Moves due sends to the send queue, and probes whose deadline has come to ``expiring``.
    mutating func fireTimers(now: UInt64) {
        while let entry = timers.popDue(now: now) {
            let event = entry.element
            guard let record = record(for: event) else { continue }
            switch event.kind {
            case .send:
                enqueueSend(event, background: record.background)
            case .deadline:
                expiring.append(
                    EchoEngine.ExpiringProbe(
                        slot: event.slot, id: record.id, address: record.address, startedAt: record.startedAt,
                        // Unknown links (the prefixes could not be read): ask the table about every target.
                        onLink: record.onLink || linkPrefixes.prefixes.isEmpty
                    )
                )
            }
        }
    }

    /// Ends the probes at their deadline: `neighbor` where `evidence` has the target's MAC, else
    /// `free` if an echo left in time, else `unknown`. A probe a reply ended meanwhile is skipped.
    mutating func endExpiring(evidence: [Int32: String]) {
        for probe in expiring {
            guard let record = probes[Int(probe.slot)], record.id == probe.id else { continue }
            if let mac = evidence[probe.slot] {
                end(slot: probe.slot, .neighbor(mac: mac))
            } else if record.sentInTime {
                end(slot: probe.slot, .timeout)
            } else if record.lastSendError != 0 {
                end(slot: probe.slot, .sendFailed(reason: EchoSocket.describe(errno: record.lastSendError)))
            } else {
                end(slot: probe.slot, .notSent(reason: "not sent in time"))
            }
        }
        expiring.removeAll(keepingCapacity: true)
    }

    /// Sends queued echoes while the pacer allows. Returns, per family, whether the socket's send
    /// buffer is full (wait for POLLOUT).
    mutating func sendDue(now: UInt64, packet: UnsafeMutableRawBufferPointer) -> [Bool] {
        var blocked = [false, false]
        while true {
            // On-demand echoes first; background (pool sweep) echoes only when none is waiting.
            let background = sendQueue.isEmpty
            guard let event = background ? backgroundQueue.first : sendQueue.first else { break }
            guard let record = record(for: event), case .send(let attempt) = event.kind else {
                _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()
                continue
            }
            let family = record.family.rawValue
            if blocked[family] { break }
            guard let socket = sockets[family] else {
                _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()
                end(slot: event.slot, .unavailable(reason: "socket closed"))
                continue
            }
            guard pacer.take(now: now) else { break }
            _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()

            let sentAt = MonotonicTime.now()
            let echo = EchoPacket.Echo(identifier: socket.identifier, sequence: record.sequence, token: record.token, sentAt: sentAt)
            let length = EchoPacket.encodeRequest(echo, family: record.family, into: packet)
            let bytes = UnsafeRawBufferPointer(rebasing: packet[0..<length])
            var error = socket.send(bytes, to: record.target)
            if error == EHOSTUNREACH {
                // With IP_RECVERR a pending error from an earlier, unrelated ICMP message makes this
                // send fail without sending. Retry once: a second EHOSTUNREACH is this target's own.
                statistics.retriedSends += 1
                error = socket.send(bytes, to: record.target)
                if error == EHOSTUNREACH {
                    end(slot: event.slot, .unreachable)
                    continue
                }
            }
            switch error {
            case 0:
                probes[Int(event.slot)]!.echoesSent += 1
                if sentAt <= record.sendBy { probes[Int(event.slot)]!.sentInTime = true }
                statistics.echoesSent += 1
            case EAGAIN, EWOULDBLOCK:
                if background { backgroundQueue.prepend(event) } else { sendQueue.prepend(event) }
                blocked[family] = true
                continue
            case ENOBUFS:
                // Transient: later attempts may still go out; if none does, the deadline reports it.
                probes[Int(event.slot)]!.lastSendError = error
            default:
                end(slot: event.slot, .sendFailed(reason: EchoSocket.describe(errno: error)))
                continue
            }
            if attempt + 1 < record.attempts {
                let due = max(now, record.startedAt + record.interval * UInt64(attempt + 1))
                timers.insert(ProbeEvent(slot: event.slot, id: record.id, kind: .send(attempt: attempt + 1)), at: due)
            }
        }
        return blocked
    }

    /// Nanoseconds until the loop must wake again; -1 for "only when something happens".
    mutating func nextWakeup(now: UInt64, blocked: Bool) -> Int64 {
        var next = timers.nextTime ?? .max
        if !(sendQueue.isEmpty && backgroundQueue.isEmpty), !blocked { next = min(next, pacer.nextAvailable(now: now)) }
        if next == .max { return -1 }
        return next > now ? Int64(next - now) : 0
    }

    /// Reads one socket's replies (and, for ping sockets, its error queue) and ends the probes they settle.
    mutating func receive(family: Int, batch: ReceiveBatch, readErrors: Bool) {
        guard let socket = sockets[family] else { return }
        let now = MonotonicTime.now()
        var rounds = 0
        while rounds < 32 {
            rounds += 1
            var handled: [ReceivedMessage] = []
            let count = socket.receive(into: batch, dropped: &drops[family]) { handled.append($0) }
            for message in handled { settle(message, from: socket, now: now) }
            if count < batch.capacity { break }
        }
        if readErrors {
            var handled: [ReceivedMessage] = []
            _ = socket.receiveErrors(into: batch) { handled.append($0) }
            for message in handled { settle(message, from: socket, now: now) }
        }
        statistics.receiveDrops = Int(drops[0]) + Int(drops[1])
    }

    /// Matches one message to its probe: sequence, token, identifier (raw sockets) and source.
    mutating func settle(_ received: ReceivedMessage, from socket: EchoSocket, now: UInt64) {
        let family = socket.family.rawValue
        switch received.message {
        case .reply(let echo):
            let slot = slotBySequence[family][Int(echo.sequence)]
            guard slot >= 0, let record = probes[Int(slot)], record.completion != nil,
                record.accepts(echo, from: received.source, socketKind: socket.kind, socketIdentifier: socket.identifier)
            else {
                statistics.ignoredReplies += 1
                return
            }
            let rtt = now > echo.sentAt ? Int((now - echo.sentAt) / 1_000) : 0
            end(slot: slot, .reply(rttMicroseconds: rtt))
        case .unreachable(let quoted, let identifier, let sequence, let token):
            let slot = slotBySequence[family][Int(sequence)]
            guard slot >= 0, let record = probes[Int(slot)], record.completion != nil,
                token == nil || token == record.token,
                socket.kind == .dgram || identifier == socket.identifier
            else { return }
            let destination: EchoTarget?
            switch quoted {
            case .v4(let address)?: destination = EchoTarget(family: .ipv4, high: 0, low: UInt64(address), scopeID: 0)
            case .v6(let high, let low)?: destination = EchoTarget(family: .ipv6, high: high, low: low, scopeID: 0)
            case nil: destination = received.source
            }
            guard let destination, destination.high == record.target.high, destination.low == record.target.low else { return }
            end(slot: slot, .unreachable)
        case .other:
            break
        }
    }

    /// Ends every live probe (shutdown) and refuses new ones.
    mutating func stopAll() {
        for index in probes.indices where probes[index] != nil {
            end(slot: Int32(index), .notSent(reason: "shutting down"))
        }
        timers.removeAll()
        stopped = true
    }
}
