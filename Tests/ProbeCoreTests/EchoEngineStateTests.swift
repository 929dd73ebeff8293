import Glibc
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The engine's state as a unit, without root and without sending: probes are reserved and
/// scheduled, their echoes taken for the loop, what became of each send recorded (as the loop
/// does after `sendmmsg`), timers fired and replies matched, all at times the test chooses. The
/// state's IPv4 socket is one that is never used (descriptor -1).
@Suite struct EchoEngineStateTests {
    static let t0: UInt64 = 1_000_000_000_000
    static let millisecond: UInt64 = 1_000_000
    static let target = CheckerFixture.ip("198.51.100.7")

    /// A state with an IPv4 socket only (never used), neighbour evidence as `neighborEvidence`
    /// says, and no solicitor (the tests play its part).
    static func makeState(neighborEvidence: Bool = false) -> EchoEngine.State {
        let socket = EchoSocket(family: .ipv4, kind: .dgram, descriptor: -1, identifier: 0)
        return EchoEngine.State(
            sockets: [socket, nil],
            configuration: EchoEngine.Configuration(
                maxPacketsPerSecond: 1000,
                maxInFlight: 16,
                ipv6: false,
                neighborEvidence: neighborEvidence,
                neighborSolicit: false
            ),
            now: t0
        )
    }

    /// Reserves and schedules a probe of `address` started at `t0`, as ``EchoEngine/start(_:)`` does.
    static func start(
        _ state: inout EchoEngine.State,
        _ address: IPAddress = target,
        timeoutMilliseconds: UInt64 = 300,
        attempts: Int = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int32 {
        let reservation = state.reserve(
            address: address,
            timeout: timeoutMilliseconds * millisecond,
            attempts: attempts,
            background: false,
            now: t0,
            tag: 42
        )
        guard case .reserved(let slot, _) = reservation else {
            Issue.record("the probe was refused: \(reservation)", sourceLocation: sourceLocation)
            return -1
        }
        _ = state.schedule(slot: slot) { _ in }
        return slot
    }

    /// Takes the queued echoes at `now` and records them as having left at `sentAt` with `error`.
    static func send(_ state: inout EchoEngine.State, now: UInt64, sentAt: UInt64, error: Int32 = 0) -> [PendingEcho] {
        var echoes: [PendingEcho] = []
        state.takeSends(now: now, limit: EchoEngine.sendBatch, into: &echoes)
        for index in echoes.indices { echoes[index].note(error: error, at: sentAt) }
        state.recordSends(echoes, now: sentAt)
        return echoes
    }

    /// The outcomes of the probes that ended so far (taken out of the state).
    static func ended(_ state: inout EchoEngine.State) -> [ProbeOutcome] {
        var ready: [EchoEngine.State.Completion] = []
        state.takeCompletions(into: &ready)
        return ready.map(\.outcome)
    }

    // MARK: never free without an echo sent in time

    /// (when the only echo left, in ms after the start; nil: it never left) → the outcome at the
    /// 300 ms deadline. Half the deadline is 150 ms.
    static let sendTimes: [(UInt64?, ProbeOutcome.Result)] = [
        (0, .timeout),
        (150 * millisecond, .timeout),
        (150 * millisecond + 1, .notSent(reason: "not sent in time")),
        (290 * millisecond, .notSent(reason: "not sent in time")),
        (nil, .notSent(reason: "not sent in time")),
    ]

    @Test(arguments: sendTimes)
    func silenceIsFreeOnlyIfAnEchoLeftByHalfTheDeadline(sentAfter: UInt64?, expected: ProbeOutcome.Result) {
        var state = Self.makeState()
        let slot = Self.start(&state)
        var echoes: [PendingEcho] = []
        state.takeSends(now: Self.t0, limit: EchoEngine.sendBatch, into: &echoes)
        #expect(echoes.count == 1)
        if let sentAfter {
            echoes[0].note(error: 0, at: Self.t0 + sentAfter)
            state.recordSends(echoes, now: Self.t0 + sentAfter)
            #expect(state.probes[Int(slot)]?.echoesSent == 1)
        }
        // Not a nanosecond early.
        state.fireTimers(now: Self.t0 + 300 * Self.millisecond - 1, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty)
        state.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        let outcomes = Self.ended(&state)
        #expect(outcomes.map(\.result) == [expected])
        #expect(outcomes.first?.tag == 42)
        #expect(outcomes.first?.target == Self.target)
        #expect(state.inFlight == 0)
        // What the client is told.
        let verdict = try? Checker.answer(for: Self.target, outcome: expected).get()
        if case .timeout = expected {
            #expect(verdict?.state == .free)
        } else {
            #expect(verdict?.state == .unknown)
            #expect(verdict?.evidence == .notSent)
        }
    }

    @Test func anEchoTheFullSendBufferRefusedGoesBackAndNeverCountsAsSent() {
        var state = Self.makeState()
        _ = Self.start(&state)
        let echoes = Self.send(&state, now: Self.t0, sentAt: Self.t0, error: EAGAIN)
        #expect(echoes.count == 1)
        #expect(state.sendBlocked[0])
        #expect(!state.sendQueue.isEmpty, "the refused echo is queued again")
        state.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        #expect(Self.ended(&state).map(\.result) == [.notSent(reason: "not sent in time")])
        #expect(state.statistics.echoesSent == 0)
    }

    @Test func aTransientSendFailureIsReportedUnlessALaterAttemptLeftInTime() {
        // One attempt, ENOBUFS: send_failed at the deadline.
        var alone = Self.makeState()
        _ = Self.start(&alone)
        _ = Self.send(&alone, now: Self.t0, sentAt: Self.t0, error: ENOBUFS)
        alone.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        #expect(Self.ended(&alone).map(\.result) == [.sendFailed(reason: EchoSocket.describe(errno: ENOBUFS))])

        // Two attempts: the second is due at half the deadline, leaves then, and is in time.
        var retried = Self.makeState()
        _ = Self.start(&retried, attempts: 2)
        _ = Self.send(&retried, now: Self.t0, sentAt: Self.t0, error: ENOBUFS)
        let half = Self.t0 + 150 * Self.millisecond
        retried.fireTimers(now: half - 1, neighborLookup: false)
        #expect(retried.sendQueue.isEmpty, "the second attempt was queued early")
        retried.fireTimers(now: half, neighborLookup: false)
        let second = Self.send(&retried, now: half, sentAt: half)
        #expect(second.map(\.attempt) == [1])
        retried.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        let outcomes = Self.ended(&retried)
        #expect(outcomes.map(\.result) == [.timeout])
        #expect(outcomes.first?.echoesSent == 1)
    }

    // MARK: replies

    @Test func onlyTheProbesOwnReplyEndsIt() throws {
        var state = Self.makeState()
        let slot = Self.start(&state)
        _ = Self.send(&state, now: Self.t0, sentAt: Self.t0)
        let record = try #require(state.probes[Int(slot)])
        let socket = state.sockets[0]!
        let source = EchoTarget(Self.target)
        func reply(token: UInt64, from: EchoTarget?) -> ReceivedMessage {
            ReceivedMessage(
                message: .reply(
                    EchoPacket.Echo(identifier: 0, sequence: record.sequence, token: token, sentAt: Self.t0)
                ),
                source: from
            )
        }
        state.settle(reply(token: record.token &+ 1, from: source), from: socket, now: Self.t0 + Self.millisecond)
        state.settle(
            reply(token: record.token, from: EchoTarget(CheckerFixture.ip("198.51.100.8"))),
            from: socket,
            now: Self.t0 + Self.millisecond
        )
        #expect(Self.ended(&state).isEmpty)
        #expect(state.statistics.ignoredReplies == 2)
        state.settle(reply(token: record.token, from: source), from: socket, now: Self.t0 + 3 * Self.millisecond)
        #expect(Self.ended(&state).map(\.result) == [.reply(rttMicroseconds: 3_000)])
        // The deadline of a probe a reply ended passes without a second outcome.
        state.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty)
        #expect(state.inFlight == 0)
    }

    // MARK: solicitations

    static let mac: [UInt8] = [0x02, 0, 0, 0, 0, 0x07]

    /// A claim of `address`'s MAC.
    static func claim(_ address: IPAddress) -> SolicitationPacket.Claim {
        let target = EchoTarget(address)!
        return SolicitationPacket.Claim(family: target.family, high: target.high, low: target.low, mac: mac)
    }

    /// A state with a probe of ``target``, on the link of interface 4, whose echo and solicitation
    /// (out of interface 4) left at `t0`.
    static func solicitedProbe(timeoutMilliseconds: UInt64 = 300) -> EchoEngine.State {
        var state = makeState(neighborEvidence: true)
        state.linkPrefixes = LinkPrefixes([CheckerFixture.prefix("198.51.100.0/24")], interfaces: [4])
        _ = start(&state, timeoutMilliseconds: timeoutMilliseconds)
        var echoes: [PendingEcho] = []
        state.takeSends(now: t0, limit: EchoEngine.sendBatch, into: &echoes)
        // What the loop does when `solicitationInterface` chose an interface and the solicitor sent.
        echoes[0].solicitOn = 4
        echoes[0].solicited = true
        echoes[0].note(error: 0, at: t0)
        state.recordSends(echoes, now: t0)
        return state
    }

    @Test func anAnswerOnAnotherInterfaceOrForAnotherTargetChangesNothing() {
        var state = Self.solicitedProbe()
        #expect(state.statistics.solicitationsSent == 1)
        let now = Self.t0 + 10 * Self.millisecond
        state.settle([(Self.claim(Self.target), 5), (Self.claim(CheckerFixture.ip("198.51.100.8")), 4)], now: now)
        #expect(state.statistics.solicitationAnswers == 0)
        #expect(state.answeredSolicitations.isEmpty)
        state.fireTimers(now: now + EchoEngine.State.answerGrace, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty)
        // Silence at the deadline: free, as without the claims.
        state.fireTimers(now: Self.t0 + 300 * Self.millisecond, neighborLookup: false)
        #expect(Self.ended(&state).map(\.result) == [.timeout])
    }

    @Test func anAnsweredSolicitationIsANeighbourAfterTheGrace() {
        var state = Self.solicitedProbe()
        let now = Self.t0 + 10 * Self.millisecond
        state.settle([(Self.claim(Self.target), 4)], now: now)
        #expect(state.statistics.solicitationAnswers == 1)
        state.fireTimers(now: now + EchoEngine.State.answerGrace - 1, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty, "ended before the grace in which an echo reply still wins")
        state.fireTimers(now: now + EchoEngine.State.answerGrace, neighborLookup: false)
        #expect(Self.ended(&state).map(\.result) == [.neighbor(mac: "02:00:00:00:00:07")])
        #expect(state.solicited.isEmpty)
    }

    @Test func anEchoReplyInTheGraceWins() throws {
        var state = Self.solicitedProbe()
        let now = Self.t0 + 10 * Self.millisecond
        state.settle([(Self.claim(Self.target), 4)], now: now)
        let record = try #require(state.probes.compactMap { $0 }.first)
        let echo = EchoPacket.Echo(identifier: 0, sequence: record.sequence, token: record.token, sentAt: Self.t0)
        // The loop turns meanwhile: the grace has not passed.
        state.fireTimers(now: now + Self.millisecond - 1, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty)
        state.settle(
            ReceivedMessage(message: .reply(echo), source: EchoTarget(Self.target)),
            from: state.sockets[0]!,
            now: now + Self.millisecond
        )
        #expect(Self.ended(&state).map(\.result) == [.reply(rttMicroseconds: 11_000)])
        state.fireTimers(now: now + EchoEngine.State.answerGrace, neighborLookup: false)
        #expect(Self.ended(&state).isEmpty)
    }

    @Test func anAnswerTooCloseToTheDeadlineIsDecidedThere() {
        var state = Self.solicitedProbe(timeoutMilliseconds: 30)
        // 15 ms before the deadline: the grace would end after it; the deadline decides.
        state.settle([(Self.claim(Self.target), 4)], now: Self.t0 + 15 * Self.millisecond)
        state.fireTimers(now: Self.t0 + 30 * Self.millisecond, neighborLookup: false)
        #expect(Self.ended(&state).map(\.result) == [.neighbor(mac: "02:00:00:00:00:07")])
    }
}
