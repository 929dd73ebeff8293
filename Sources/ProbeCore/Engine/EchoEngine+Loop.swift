import CProbeSys
import Glibc
import Logging
import ProbeProtocol
import Synchronization

extension EchoEngine {
    /// The loop thread: fire due timers, send what the pacer allows, wait for the sockets, read.
    func loop() {
        let batch = ReceiveBatch()
        let (descriptors, identifiers) = state.withLock { state in
            (state.sockets.map { $0?.descriptor ?? -1 }, state.sockets.map { $0?.identifier ?? 0 })
        }
        // The wake-up eventfd, the two ICMP sockets, the solicitor's ARP and ICMPv6 sockets.
        var polls = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: 5)
        polls[0] = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        var echoes: [PendingEcho] = []
        echoes.reserveCapacity(Self.sendBatch)
        let sends = SendBatch(capacity: 64)
        var positions: [Int] = []
        positions.reserveCapacity(Self.sendBatch)
        // The completions of a turn, swapped with the state's buffer: both keep their capacity.
        var ready: [State.Completion] = []
        var solicitor: NeighborSolicitor?
        // The solicitor's sockets are watched only while a solicitation waits for its answer: the
        // ARP socket sees every ARP frame of every link, and an idle daemon must not wake for them.
        // What queued up meanwhile is stale, and is thrown away before the next solicitations.
        var solicitorWatched = false
        var claims: [(claim: SolicitationPacket.Claim, interface: UInt32)] = []

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
            claims.removeAll(keepingCapacity: true)
            let (stop, lookup) = state.withLock { state in
                let now = MonotonicTime.now()
                // The solicitor while soliciting (opened at start, or by a reload that turned it on).
                solicitor = state.soliciting ? state.solicitor : nil
                if state.stopRequested {
                    state.stopAll()
                    state.takeCompletions(into: &ready)
                    return (true, ([EchoEngine.ExpiringProbe](), Duration.zero))
                }
                // Deadlines of on-link targets wait for the neighbour table, read outside the lock;
                // the others end now (routed targets have no neighbour entry of their own).
                state.fireTimers(now: now, neighborLookup: hasNeighbors && state.neighborEvidence)
                let lookup = state.expiring
                state.takeSends(now: now, limit: Self.sendBatch, into: &echoes)
                state.takeCompletions(into: &ready)
                return (false, (lookup, state.neighborMaxAge))
            }
            Self.resume(&ready)
            if stop { return }

            // Send outside the lock, so that callers can start probes meanwhile.
            if !echoes.isEmpty {
                send(&echoes, descriptors: descriptors, identifiers: identifiers, batch: sends, positions: &positions)
                if let solicitor, echoes.contains(where: { $0.solicitOn != 0 }) {
                    if !solicitorWatched { solicitor.discardPending() }
                    solicit(&echoes, with: solicitor)
                }
                state.withLock { state in
                    state.recordSends(echoes, now: MonotonicTime.now())
                    state.takeCompletions(into: &ready)
                }
                echoes.removeAll(keepingCapacity: true)
                Self.resume(&ready)
            }

            if !lookup.0.isEmpty, let neighbors {
                var evidence: [Int32: String] = [:]
                var failed = false
                do {
                    evidence = try neighbors.evidence(for: lookup.0, maxAge: lookup.1, now: MonotonicTime.now())
                } catch {
                    failed = true
                }
                state.withLock { state in
                    if failed { state.statistics.neighborErrors += 1 }
                    state.endExpiring(evidence: evidence)
                    state.takeCompletions(into: &ready)
                }
                Self.resume(&ready)
                continue
            }

            let (timeout, wantWrite, awaitingAnswers) = state.withLock { state in
                (state.nextWakeup(now: MonotonicTime.now()), state.sendBlocked, !state.solicited.isEmpty)
            }
            solicitorWatched = solicitor != nil && awaitingAnswers
            for family in 0..<2 {
                polls[family + 1] = pollfd(
                    fd: descriptors[family],
                    events: Int16(POLLIN) | (wantWrite[family] ? Int16(POLLOUT) : 0),
                    revents: 0
                )
            }
            polls[3] = pollfd(fd: solicitorWatched ? solicitor!.arpDescriptor : -1, events: Int16(POLLIN), revents: 0)
            polls[4] = pollfd(fd: solicitorWatched ? solicitor!.ndpDescriptor : -1, events: Int16(POLLIN), revents: 0)
            let readable = cprobe_ppoll(&polls, 5, timeout)
            if readable < 0 {
                let code = errno
                if code != EINTR { logger.error("ppoll failed", metadata: ["errno": "\(code)"]) }
                continue
            }
            if readable == 0 { continue }
            if polls[0].revents != 0 {
                var value: UInt64 = 0
                _ = read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
            }
            let events = [polls[1].revents, polls[2].revents]
            // What answers our solicitations is read outside the lock and matched under it.
            if let solicitor, polls[3].revents != 0 || polls[4].revents != 0 {
                solicitor.receive { claims.append(($0, $1)) }
            }
            state.withLock { state in
                if !claims.isEmpty { state.settle(claims, now: MonotonicTime.now()) }
                for family in 0..<2 {
                    if events[family] & Int16(POLLOUT) != 0 { state.sendBlocked[family] = false }
                    if events[family] & Int16(POLLIN | POLLERR) != 0 {
                        state.receive(family: family, batch: batch, readErrors: events[family] & Int16(POLLERR) != 0)
                    }
                }
                state.takeCompletions(into: &ready)
            }
            Self.resume(&ready)
        }
    }

    /// Sends the ARP probes and Neighbor Solicitations that go alongside echoes (outside the lock),
    /// for those whose echo left.
    func solicit(_ echoes: inout [PendingEcho], with solicitor: NeighborSolicitor) {
        for index in echoes.indices where echoes[index].solicitOn != 0 && echoes[index].error == 0 {
            echoes[index].solicited = solicitor.solicit(echoes[index].target, interface: echoes[index].solicitOn, now: MonotonicTime.now())
        }
    }

    /// Hands the outcomes taken from the state to their callers (outside the lock), and empties
    /// the buffer for the next turn.
    static func resume(_ ready: inout [State.Completion]) {
        for completion in ready { completion.resume() }
        ready.removeAll(keepingCapacity: true)
    }

    /// Echoes sent per turn of the loop at most: between batches, the loop fires deadlines and
    /// reads replies.
    static let sendBatch = 256

    /// Deadlines ended per turn of the loop at most (see ``State/fireTimers(now:neighborLookup:)``).
    static let expiryBatch = 256
}

extension EchoEngine.State {
    /// Moves the completions gathered under the lock into `ready` (empty), leaving its buffer
    /// in their place: swapped, not copied, so neither array is allocated afresh each turn.
    mutating func takeCompletions(into ready: inout [Completion]) {
        guard !completions.isEmpty else { return }
        swap(&completions, &ready)
    }

    /// Moves due sends to the send queue, and ends the probes whose deadline has come — or, when
    /// `neighborLookup` is on, moves those of on-link targets to ``expiring`` to wait for the
    /// neighbour table. At most ``EchoEngine/expiryBatch`` deadlines a turn, so that when thousands
    /// fall due together the first outcomes are already being answered while the engine ends the rest.
    ///
    /// The due events are taken off the heap first and their probes' records prefetched, so that
    /// the records' cache misses (a random slot each, out of `max_in_flight`) overlap.
    mutating func fireTimers(now: UInt64, neighborLookup: Bool) {
        guard let next = timers.nextTime, next <= now else { return }
        var deadlines = 0
        while deadlines < EchoEngine.expiryBatch, let entry = timers.popDue(now: now) {
            if case .deadline = entry.element.kind { deadlines += 1 }
            dueEvents.append(entry.element)
        }
        probes.withUnsafeBufferPointer { records in
            for event in dueEvents {
                cprobe_prefetch_bytes(records.baseAddress! + Int(event.slot), MemoryLayout<ProbeRecord?>.size)
            }
        }
        defer { dueEvents.removeAll(keepingCapacity: true) }
        for event in dueEvents {
            // A probe that a reply ended meanwhile no longer holds its slot. (A record is plain
            // data: taking a copy of it costs no reference counting.)
            guard let record = record(for: event) else { continue }
            switch event.kind {
            case .send:
                enqueueSend(event, background: record.background)
            case .answered:
                endAnswered(slot: event.slot)
            case .deadline:
                // Unknown links (the prefixes could not be read): ask the table about every target.
                if neighborLookup, record.onLink || linkPrefixes.prefixes.isEmpty {
                    expiring.append(
                        EchoEngine.ExpiringProbe(
                            slot: event.slot, id: event.id, address: address(of: record, slot: event.slot), startedAt: record.startedAt)
                    )
                } else {
                    endAtDeadline(slot: event.slot, mac: nil)
                }
            }
        }
    }

    /// Ends the probes that waited for the neighbour table (``expiring``), with what it said. A
    /// probe a reply ended meanwhile is skipped.
    mutating func endExpiring(evidence: [Int32: String]) {
        for probe in expiring where probes[Int(probe.slot)]?.id == probe.id {
            endAtDeadline(slot: probe.slot, mac: evidence[probe.slot])
        }
        expiring.removeAll(keepingCapacity: true)
    }

    /// Ends a live probe at its deadline: `neighbor` when the table gave the target's `mac`, else
    /// `free` if an echo left in time, else `unknown`.
    private mutating func endAtDeadline(slot: Int32, mac: String?) {
        let (sentInTime, lastSendError) = (probes[Int(slot)]!.sentInTime, probes[Int(slot)]!.lastSendError)
        if let mac = mac ?? answeredSolicitations[slot] {
            end(slot: slot, .neighbor(mac: mac))
        } else if sentInTime {
            end(slot: slot, .timeout)
        } else if lastSendError != 0 {
            end(slot: slot, .sendFailed(reason: EchoSocket.describe(errno: lastSendError)))
        } else {
            end(slot: slot, .notSent(reason: "not sent in time"))
        }
    }

    /// Takes up to `limit` queued echoes that the pacer allows (on-demand ones first; background
    /// ones only when none is waiting), for the loop to send outside the lock.
    mutating func takeSends(now: UInt64, limit: Int, into echoes: inout [PendingEcho]) {
        while echoes.count < limit {
            let background = sendQueue.isEmpty
            guard let event = background ? backgroundQueue.first : sendQueue.first else { break }
            guard let record = record(for: event), case .send(let attempt) = event.kind else {
                _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()
                continue
            }
            let family = record.family.rawValue
            if sendBlocked[family] { break }
            guard sockets[family] != nil else {
                _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()
                end(slot: event.slot, .unavailable(reason: "socket closed"))
                continue
            }
            guard pacer.take(now: now) else { break }
            _ = background ? backgroundQueue.removeFirst() : sendQueue.removeFirst()
            var echo = PendingEcho(
                event: event, attempt: Int(attempt), family: family, target: record.target,
                sequence: record.sequence, token: record.token, background: background
            )
            echo.solicitOn = solicitationInterface(for: record, slot: event.slot, now: now)
            echoes.append(echo)
        }
    }

    /// Records what became of echoes sent outside the lock: counts them, schedules each probe's
    /// next attempt, puts back those the full send buffer refused, and ends the probes whose send
    /// failed for good.
    mutating func recordSends(_ echoes: [PendingEcho], now: UInt64) {
        var refused: [PendingEcho] = []
        for echo in echoes {
            if echo.retried { statistics.retriedSends += 1 }
            // A probe cancelled meanwhile no longer holds its slot.
            guard let record = record(for: echo.event) else { continue }
            let slot = echo.event.slot
            if echo.solicited { noteSolicitation(echo, record: record) }
            switch echo.error {
            case 0:
                probes[Int(slot)]!.countEcho()
                if echo.sentAt <= record.sendBy { probes[Int(slot)]!.sentInTime = true }
                statistics.echoesSent += 1
            case EHOSTUNREACH:
                end(slot: slot, .unreachable)
                continue
            case EAGAIN, EWOULDBLOCK:
                refused.append(echo)
                sendBlocked[echo.family] = true
                continue
            case ENOBUFS:
                // Transient: later attempts may still go out; if none does, the deadline reports it.
                probes[Int(slot)]!.lastSendError = echo.error
            default:
                end(slot: slot, .sendFailed(reason: EchoSocket.describe(errno: echo.error)))
                continue
            }
            if echo.attempt + 1 < record.attempts {
                let due = max(now, record.startedAt + record.interval * UInt64(echo.attempt + 1))
                timers.insert(ProbeEvent(slot: slot, id: record.id, kind: .send(attempt: UInt8(clamping: echo.attempt + 1))), at: due)
            }
        }
        // Back to the front of their queues, in their order; the pacer's tokens are returned.
        for echo in refused.reversed() {
            if echo.background { backgroundQueue.prepend(echo.event) } else { sendQueue.prepend(echo.event) }
            pacer.giveBack()
        }
    }

    /// Nanoseconds until the loop must wake again; -1 for "only when something happens".
    mutating func nextWakeup(now: UInt64) -> Int64 {
        // Timers of probes that already ended (a reply came) would wake the loop for nothing.
        while let first = timers.first, record(for: first.element) == nil { timers.removeFirst() }
        var next = timers.nextTime ?? .max
        if !(sendQueue.isEmpty && backgroundQueue.isEmpty), !sendBlocked.contains(true) { next = min(next, pacer.nextAvailable(now: now)) }
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
            guard slot >= 0, let record = probes[Int(slot)], isScheduled(slot),
                record.accepts(echo, from: received.source, socketKind: socket.kind, socketIdentifier: socket.identifier)
            else {
                statistics.ignoredReplies += 1
                return
            }
            let rtt = now > echo.sentAt ? Int((now - echo.sentAt) / 1_000) : 0
            end(slot: slot, .reply(rttMicroseconds: rtt))
        case .unreachable(let quoted, let identifier, let sequence, let token):
            let slot = slotBySequence[family][Int(sequence)]
            guard slot >= 0, let record = probes[Int(slot)], isScheduled(slot),
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
