import Logging
import NIOCore
import NIOEmbedded
import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// The daemon's answer path without the engine: ``QueryDispatcher`` hands a read's checks to
/// ``Checker/check(_:receivedAt:answer:)`` with one shared answer, probe outcomes go through the
/// ``OutcomeQueue`` to the event loop of their address's lane (embedded loops here, run by the
/// test), and are answered there. A ``ScriptedProber`` stands in for the engine.
@Suite struct QueryDispatcherTests {
    /// The parts as `ProbeDaemon.run()` wires them, on two embedded event loops.
    final class Wiring: Sendable {
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let prober = ScriptedProber()
        let clock = ManualClock()
        let checker: Checker
        let dispatcher: QueryDispatcher
        let answers = Mutex<[Response]>([])

        init() throws {
            let settling = loops.map { loop in
                { @Sendable (work: @escaping @Sendable () -> Void) in loop.execute(work) }
            }
            let clock = self.clock
            checker = Checker(
                configuration: CheckerFixture.configuration(),
                prober: prober,
                clock: { clock.now },
                settleElsewhere: settling
            )
            // An engine that is never run, over a socket that is never used: the dispatcher reads
            // its counters for `info` and `stats` only.
            let engine = try EchoEngine(
                sockets: [EchoSocket(family: .ipv4, kind: .dgram, descriptor: -1, identifier: 0), nil],
                unavailableFamilies: [.ipv6: "IPv6 probing is turned off (probe.ipv6)"],
                neighbors: nil,
                configuration: EchoEngine.Configuration(ipv6: false, neighborSolicit: false),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            dispatcher = QueryDispatcher(
                checker: checker,
                engine: engine,
                server: { ServerStatistics() },
                neighborEvidence: { false }
            )
        }

        /// Answers a read's requests as the connection handler does; returns what was declined.
        func read(_ requests: [Request]) -> [Request] {
            dispatcher.answer(requests, receivedAt: clock.now) { response in
                self.answers.withLock { $0.append(response) }
            }
        }

        /// Takes the answers given so far.
        func takeAnswers() -> [Response] {
            answers.withLock { answers in
                defer { answers.removeAll() }
                return answers
            }
        }

        /// The loop that settles `address`'s outcomes.
        func lane(of address: IPAddress) -> EmbeddedEventLoop {
            loops[OutcomeQueue.lane(of: address, among: loops.count)]
        }
    }

    static func ip(_ text: String) -> IPAddress { CheckerFixture.ip(text) }

    /// Two addresses of 198.51.100.0/24 whose outcomes go to different lanes of two.
    static func addressesOnTwoLanes() -> (IPAddress, IPAddress) {
        let first = ip("198.51.100.1")
        let lane = OutcomeQueue.lane(of: first, among: 2)
        let second = (2...254).lazy.map { ip("198.51.100.\($0)") }.first {
            OutcomeQueue.lane(of: $0, among: 2) != lane
        }!
        return (first, second)
    }

    static func check(_ id: Int64, _ address: IPAddress) -> Request {
        Request(id: .number(id), operation: .check(CheckRequest(addr: address)))
    }

    static func id(_ number: Int64) -> ResponseID { .value(.number(number)) }

    /// The verdict answered under `id`, if one was.
    static func verdict(_ id: Int64, in answers: [Response]) -> Verdict? {
        for case .verdict(let verdict, let answerID) in answers where answerID == Self.id(id) { return verdict }
        return nil
    }

    @Test func aReadsChecksShareOneProbePerAddressAndAreAnsweredOnTheirAddressesLoop() throws {
        let wiring = try Wiring()
        let (a, b) = Self.addressesOnTwoLanes()
        let outside = Self.ip("203.0.113.9")
        let declined = wiring.read([Self.check(1, a), Self.check(2, b), Self.check(3, a), Self.check(4, outside)])
        #expect(declined.isEmpty)
        // The refusal at once, on the reading loop; one probe for each address, counted from the read.
        #expect(
            wiring.takeAnswers() == [.error(.notAllowed("203.0.113.9 is outside the allowed prefixes"), id: Self.id(4))]
        )
        #expect(wiring.prober.callCount(a) == 1)
        #expect(wiring.prober.callCount(b) == 1)
        #expect(wiring.prober.startTimes(a) == [wiring.clock.now])

        // The engine ends a's probe: its outcome waits for its lane's loop, not answered where it ended.
        wiring.prober.release(a, with: .reply(rttMicroseconds: 500))
        #expect(wiring.takeAnswers().isEmpty)
        let other = wiring.loops.first { $0 !== wiring.lane(of: a) }!
        other.run()
        #expect(wiring.takeAnswers().isEmpty, "a's outcome was settled on the other lane's loop")
        wiring.lane(of: a).run()
        let answersOfA = wiring.takeAnswers()
        #expect(answersOfA.map(\.id).sorted { "\($0)" < "\($1)" } == [Self.id(1), Self.id(3)])
        #expect(Self.verdict(1, in: answersOfA)?.state == .inUse)
        #expect(Self.verdict(3, in: answersOfA)?.rttMicroseconds == 500)

        wiring.prober.release(b, with: .timeout)
        wiring.lane(of: a).run()
        #expect(wiring.takeAnswers().isEmpty)
        wiring.lane(of: b).run()
        #expect(Self.verdict(2, in: wiring.takeAnswers())?.state == .free)

        // The verdicts landed in the cache: answered at once, no probe.
        #expect(wiring.read([Self.check(5, a)]).isEmpty)
        let hit = Self.verdict(5, in: wiring.takeAnswers())
        #expect(hit?.cached == true)
        #expect(hit?.state == .inUse)
        #expect(wiring.prober.callCount(a) == 1)
    }

    @Test func requestsTakeEffectInTheOrderTheyWereRead() throws {
        let wiring = try Wiring()
        let x = Self.ip("198.51.100.40")
        let pick = Request(id: .number(4), operation: .pick(PickRequest(addrs: [x])))
        let stats = Request(id: .number(5), operation: .stats)
        let declined = wiring.read([
            Self.check(1, x),
            Request(id: .number(2), operation: .mark(MarkRequest(addr: x, state: .inUse))),
            Self.check(3, x),
            pick,
            stats,
            Request(id: .number(6), operation: .info),
            Request(id: .number(7), operation: .forget(.address(x))),
            Self.check(8, x),
        ])
        // `pick` and `stats` go to the connection's task, in their order.
        #expect(declined == [pick, stats])
        let inline = wiring.takeAnswers()
        #expect(inline.map(\.id) == [Self.id(2), Self.id(3), Self.id(6), Self.id(7)])
        #expect(inline.contains(.ok(id: Self.id(2))))
        // Check 3 came after the mark: answered from it. Check 1 came before: it probes.
        #expect(Self.verdict(3, in: inline)?.evidence == .marked)
        #expect(inline.contains(.removed(1, id: Self.id(7))))
        // Check 8 came after the forget: it joins check 1's probe instead of hitting the mark.
        #expect(wiring.prober.callCount(x) == 1)
        wiring.prober.release(x, with: .timeout)
        for loop in wiring.loops { loop.run() }
        let settled = wiring.takeAnswers()
        #expect(Self.verdict(1, in: settled)?.state == .free)
        #expect(Self.verdict(8, in: settled)?.state == .free)
        #expect(settled.count == 2)
    }

    @Test func aProbeTheEngineRefusesIsAnErrorAnsweredOnItsLane() throws {
        let wiring = try Wiring()
        let busy = Self.ip("198.51.100.50")
        // The engine refuses on the calling thread, inside `start`: the outcome still takes the lane.
        wiring.prober.answer(busy, with: .overloaded)
        #expect(wiring.read([Self.check(1, busy)]).isEmpty)
        #expect(wiring.takeAnswers().isEmpty)
        wiring.lane(of: busy).run()
        #expect(wiring.takeAnswers() == [.error(.overloaded("too many probes in flight"), id: Self.id(1))])
        // Nothing cached: the next check probes again.
        _ = wiring.read([Self.check(2, busy)])
        #expect(wiring.prober.callCount(busy) == 2)
        // Its refusal too is answered on the lane (and the lane's queue ends empty: a task left on
        // an embedded loop would keep the wiring alive past the test).
        wiring.lane(of: busy).run()
        #expect(wiring.takeAnswers() == [.error(.overloaded("too many probes in flight"), id: Self.id(2))])
    }

    @Test func aCheckReadOnOneLoopIsWrittenAfterItsProbeSettlesOnAnother() throws {
        // The whole path: the line is read by the connection handler on the channel's loop (L),
        // the outcome settled on the lane's loop (M), the answer carried back to L by the inbox.
        let channel = EmbeddedChannel()
        let lanes = [channel.embeddedEventLoop, EmbeddedEventLoop()]
        let prober = ScriptedProber()
        let checker = Checker(
            configuration: CheckerFixture.configuration(),
            prober: prober,
            settleElsewhere: lanes.map { loop in { @Sendable work in loop.execute(work) } }
        )
        let engine = try EchoEngine(
            sockets: [EchoSocket(family: .ipv4, kind: .dgram, descriptor: -1, identifier: 0), nil],
            unavailableFamilies: [:],
            neighbors: nil,
            configuration: EchoEngine.Configuration(ipv6: false, neighborSolicit: false),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let server = QueryServer(
            listener: .path("/nonexistent/probed.sock", mode: 0o660, group: nil),
            limits: QueryServerLimits(),
            handler: QueryDispatcher(
                checker: checker,
                engine: engine,
                server: { ServerStatistics() },
                neighborEvidence: { false }
            ),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (_, sink) = AsyncStream.makeStream(of: QueryConnectionHandler.Deferred.self)
        try channel.pipeline.syncOperations.addHandler(
            QueryConnectionHandler(
                server: server,
                limits: QueryServerLimits(),
                clock: ReadClock(loop: channel.embeddedEventLoop),
                deferred: sink
            )
        )
        // An address whose lane is the other loop (M is not L).
        let address = (1...254).lazy.map { Self.ip("198.51.100.\($0)") }.first {
            OutcomeQueue.lane(of: $0, among: 2) == 1
        }!
        try channel.writeInbound(ByteBuffer(string: "{\"id\":1,\"op\":\"check\",\"addr\":\"\(address)\"}\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        prober.release(address, with: .timeout)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "answered before the lane's loop settled it")
        lanes[1].run()
        // Settled on M: the answer waits in the inbox until L drains it.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written).hasPrefix(#"{"id":1,"ok":true,"addr":"\#(address)","state":"free""#))
        _ = try channel.finish()
    }
}
