import Glibc
import ProbeProtocol

extension EchoEngine {
    /// Everything the engine's loop and its callers share, behind one lock.
    struct State {
        var sockets: [EchoSocket?]
        var sequences: [SequenceAllocator]
        /// Per family: sequence number → slot of the live probe holding it, or -1.
        var slotBySequence: [[Int32]]
        var probes: [ProbeRecord?] = []
        /// Beside ``probes``, by slot: where each scheduled probe's outcome goes (nil while it is
        /// only reserved).
        var callbacks: [Callback?] = []
        /// The zones of the live probes whose target has one (link-local IPv6), by slot.
        var zones: [Int32: String] = [:]
        var freeSlots: [Int32] = []
        var timers = DeadlineHeap<ProbeEvent>()
        var sendQueue = SendQueue()
        /// Echoes of background probes: sent only while ``sendQueue`` is empty.
        var backgroundQueue = SendQueue()
        var pacer: SendPacer
        /// Per family: the socket's send buffer was full; wait for POLLOUT before sending more.
        var sendBlocked = [false, false]
        var maxInFlight: Int
        var inFlight = 0
        var nextID: UInt64 = 1
        var tokens = TokenSource()
        var statistics = EchoStatistics()
        var drops: [UInt32] = [0, 0]
        var neighborEvidence: Bool
        /// The directly connected subnets, refreshed by the loop.
        var linkPrefixes = LinkPrefixes()
        /// Probes of on-link targets in flight, and how many may be (half of `gc_thresh3`): more
        /// would evict neighbour entries, echo-dropping hosts' among them, before their deadline.
        var onLinkInFlight = 0
        var maxOnLinkInFlight = 512
        var neighborMaxAge: Duration
        /// Probes whose deadline came in this turn of the loop, decided together.
        var expiring: [ExpiringProbe] = []
        /// The timer events due in this turn of the loop (``fireTimers(now:neighborLookup:)``'s
        /// buffer, kept for its capacity).
        var dueEvents: [ProbeEvent] = []
        /// Callers of ``EchoEngine/heartbeat()`` waiting for the loop's next turn.
        var heartbeats: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextHeartbeat: UInt64 = 0
        var stopRequested = false
        var stopped = false
        /// Completions gathered under the lock, resumed after it is released.
        var completions: [Completion] = []
        /// ARP probes and Neighbor Solicitations of our own (nil without `CAP_NET_RAW`, or while
        /// `probe.neighbor_solicit` has been off since the start).
        var solicitor: NeighborSolicitor?
        /// `probe.neighbor_solicit` is `auto`.
        var soliciting: Bool
        /// The on-link probes whose solicitation left, by target: an answer naming the target on
        /// the same interface ends the probe (EchoEngine+Solicitation.swift).
        var solicited: [SolicitedTarget: SolicitedProbe] = [:]
        /// The probes whose solicitation was answered, by slot: the MAC that answered, waiting
        /// out the grace in which an echo reply still wins.
        var answeredSolicitations: [Int32: String] = [:]

        init(sockets: [EchoSocket?], configuration: Configuration, now: UInt64) {
            self.sockets = sockets
            self.neighborEvidence = configuration.neighborEvidence
            self.neighborMaxAge = configuration.neighborMaxAge
            self.soliciting = configuration.neighborSolicit
            self.sequences = [SequenceAllocator(start: .random(in: 0...UInt16.max)), SequenceAllocator(start: .random(in: 0...UInt16.max))]
            self.slotBySequence = [[Int32](repeating: -1, count: SequenceAllocator.capacity), [Int32](repeating: -1, count: SequenceAllocator.capacity)]
            self.pacer = SendPacer(ratePerSecond: configuration.maxPacketsPerSecond, now: now)
            self.maxInFlight = configuration.maxInFlight
            // Room for every probe allowed at once (pages are touched only as probes fill them):
            // growing by doubling would copy every record and leave the old arrays behind in the heap.
            probes.reserveCapacity(min(configuration.maxInFlight, 1 << 20))
            callbacks.reserveCapacity(min(configuration.maxInFlight, 1 << 20))
        }

        /// A scheduled probe's completion (in a struct: a closure stored in an array directly would
        /// be called through a reabstraction thunk).
        struct Callback {
            let completion: ProbeCompletion
        }

        /// A finished probe waiting to be handed to its caller.
        struct Completion {
            let completion: ProbeCompletion
            let outcome: ProbeOutcome
            func resume() { completion(outcome) }
        }

        enum Reservation {
            case reserved(slot: Int32, id: UInt64)
            case refused(ProbeOutcome.Result)
        }

        /// Takes a slot and a sequence number for a new probe, or says why not.
        mutating func reserve(
            address: IPAddress, timeout: UInt64, attempts: Int, background: Bool, now: UInt64, tag: UInt64 = 0
        ) -> Reservation {
            if stopped || stopRequested { return .refused(.unavailable(reason: "shutting down")) }
            let family: EchoFamily = address.family == .ipv4 ? .ipv4 : .ipv6
            guard sockets[family.rawValue] != nil else {
                return .refused(.unavailable(reason: "\(address.family.rawValue) probing is not available"))
            }
            guard let target = EchoTarget(address) else {
                return .refused(.sendFailed(reason: "no such interface for the address's zone"))
            }
            let onLink = linkPrefixes.contains(address)
            guard inFlight < maxInFlight, !onLink || onLinkInFlight < maxOnLinkInFlight,
                let sequence = sequences[family.rawValue].allocate()
            else {
                statistics.overloaded += 1
                return .refused(.overloaded)
            }
            let slot: Int32
            if let free = freeSlots.popLast() {
                slot = free
            } else {
                slot = Int32(probes.count)
                probes.append(nil)
                callbacks.append(nil)
            }
            let id = nextID
            nextID += 1
            probes[Int(slot)] = ProbeRecord(
                id: id,
                address: address,
                target: target,
                sequence: sequence,
                token: tokens.take(),
                startedAt: now,
                deadline: now + timeout,
                attempts: attempts,
                background: background,
                tag: tag
            )
            probes[Int(slot)]!.onLink = onLink
            if case .v6(let v6) = address, let zone = v6.zone { zones[slot] = zone }
            if onLink { onLinkInFlight += 1 }
            slotBySequence[family.rawValue][Int(sequence)] = slot
            inFlight += 1
            statistics.probes += 1
            return .reserved(slot: slot, id: id)
        }

        /// Hands a reserved probe its completion and queues its first echo and its deadline.
        /// Returns whether the loop must be woken.
        mutating func schedule(slot: Int32, completion: @escaping ProbeCompletion) -> Bool {
            guard let record = probes[Int(slot)] else { return false }
            callbacks[Int(slot)] = Callback(completion: completion)
            timers.insert(ProbeEvent(slot: slot, id: record.id, kind: .deadline), at: record.deadline)
            let wasIdle = sendQueue.isEmpty && backgroundQueue.isEmpty
            enqueueSend(ProbeEvent(slot: slot, id: record.id, kind: .send(attempt: 0)), background: record.background)
            return wasIdle
        }

        /// Queues an echo whose time has come, in its priority's queue.
        mutating func enqueueSend(_ event: ProbeEvent, background: Bool) {
            if background { backgroundQueue.append(event) } else { sendQueue.append(event) }
        }

        /// Frees the slot and sequence number of `record`, already taken out of `slot`.
        private mutating func release(_ record: ProbeRecord, slot: Int32) {
            freeSlots.append(slot)
            callbacks[Int(slot)] = nil
            if record.zoned { zones[slot] = nil }
            sequences[record.family.rawValue].release(record.sequence)
            slotBySequence[record.family.rawValue][Int(record.sequence)] = -1
            inFlight -= 1
            if record.onLink { onLinkInFlight -= 1 }
        }

        /// Ends a probe with `result`; the returned completion must be resumed outside the lock.
        mutating func finish(slot: Int32, result: ProbeOutcome.Result) -> Completion? {
            // Moved out of its slot, not copied: this runs for every probe that ends.
            guard let record = probes[Int(slot)].take() else { return nil }
            let callback = callbacks[Int(slot)].take()
            let address = self.address(of: record, slot: slot)
            release(record, slot: slot)
            if !solicited.isEmpty, record.onLink || record.target.scopeID != 0 { forgetSolicitation(of: record, slot: slot) }
            if !answeredSolicitations.isEmpty { answeredSolicitations[slot] = nil }
            switch result {
            case .reply: statistics.replies += 1
            case .timeout: statistics.timeouts += 1
            case .neighbor: statistics.neighborConfirmations += 1
            case .unreachable: statistics.unreachables += 1
            case .sendFailed: statistics.sendFailures += 1
            case .notSent, .unavailable, .overloaded: statistics.notSent += 1
            }
            guard let completion = callback?.completion else { return nil }
            let outcome = ProbeOutcome(target: address, result: result, echoesSent: record.echoesSent, startedAt: record.startedAt, tag: record.tag)
            return Completion(completion: completion, outcome: outcome)
        }

        /// Finishes a probe from the loop, collecting its completion.
        mutating func end(slot: Int32, _ result: ProbeOutcome.Result) {
            if let completion = finish(slot: slot, result: result) { completions.append(completion) }
        }

        /// The address that the probe in `slot` (holding `record`) probes, as its caller gave it.
        func address(of record: ProbeRecord, slot: Int32) -> IPAddress {
            record.address(zone: record.zoned ? zones[slot] : nil)
        }

        /// Whether the probe in `slot` is scheduled: its caller waits for its outcome.
        func isScheduled(_ slot: Int32) -> Bool {
            callbacks[Int(slot)] != nil
        }

        /// The live record for an event, if the probe it names still holds its slot.
        func record(for event: ProbeEvent) -> ProbeRecord? {
            guard let record = probes[Int(event.slot)], record.id == event.id else { return nil }
            return record
        }
    }

    /// The echoes whose time has come, in order, waiting for the pacer.
    struct SendQueue {
        private var items: [ProbeEvent] = []
        private var head = 0

        var isEmpty: Bool { head == items.count }
        var first: ProbeEvent? { isEmpty ? nil : items[head] }

        mutating func append(_ item: ProbeEvent) { items.append(item) }

        mutating func removeFirst() -> ProbeEvent {
            let item = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 4096, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }

        mutating func prepend(_ item: ProbeEvent) {
            if head > 0 {
                head -= 1
                items[head] = item
            } else {
                items.insert(item, at: 0)
            }
        }
    }
}
