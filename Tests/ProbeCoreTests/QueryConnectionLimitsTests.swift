import Logging
import NIOCore
import NIOEmbedded
import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// The connection handler's limits and its end, on an embedded channel: the pending limit (a
/// request is pending until the write holding its answer completes), `too_large`, and half-close.
@Suite struct QueryConnectionLimitsTests {
    /// Answers `info` at once and holds every `check` until the test answers it, from off the
    /// connection's loop as a probe's outcome would be.
    final class HeldChecks: QueryHandler {
        private let held = Mutex<[(id: ResponseID, reply: @Sendable (Response) -> Void)]>([])

        func handle(_ request: Request, receivedAt: UInt64) async -> Response {
            .error(.unavailable("not here"), id: ResponseID(request.id))
        }

        func answer(_ request: Request, receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> Bool {
            switch request.operation {
            case .info:
                reply(.info(.object(["version": .string("test")]), id: ResponseID(request.id)))
            case .check:
                held.withLock { $0.append((ResponseID(request.id), reply)) }
            default:
                return false
            }
            return true
        }

        /// The ids of the checks held, in order.
        var ids: [ResponseID] { held.withLock { $0.map(\.id) } }

        /// Answers the held check `id` with a `free` verdict.
        func answer(_ id: Int64) {
            let taken = held.withLock { held -> (@Sendable (Response) -> Void)? in
                guard let index = held.firstIndex(where: { $0.id == .value(.number(id)) }) else { return nil }
                return held.remove(at: index).reply
            }
            guard let reply = taken else {
                Issue.record("no check \(id) held")
                return
            }
            let verdict = Verdict(addr: IPAddress("198.51.100.1")!, state: .free, evidence: .timeout)
            reply(.verdict(verdict, id: .value(.number(id))))
        }
    }

    /// Holds the writes that reach it (the socket has not taken them yet) until ``release()``.
    final class WriteHolder: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var held: [(NIOAny, EventLoopPromise<Void>?)] = []
        private var holding = true
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
        func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if holding { held.append((data, promise)) } else { context.write(data, promise: promise) }
        }

        func flush(context: ChannelHandlerContext) {
            if !holding { context.flush() }
        }

        /// The lines of the writes held so far.
        var heldLines: [String] {
            held.flatMap { String(buffer: unwrapOutboundIn($0.0)).split(separator: "\n").map(String.init) }
        }

        /// Lets the held writes through (they complete) and every later one.
        func release() {
            holding = false
            guard let context else { return }
            for (data, promise) in held { context.write(data, promise: promise) }
            held.removeAll()
            context.flush()
        }
    }

    /// Plays the socket's part in a close of the input only, which an embedded channel would take
    /// for a full close: notes it, and the output stays open.
    final class InputCloser: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        private(set) var inputClosed = false

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            guard mode == .input else { return context.close(mode: mode, promise: promise) }
            inputClosed = true
            promise?.succeed(())
        }
    }

    /// A connected channel with the connection handler behind `closer` and `holder` (if given).
    static func channel(
        _ handler: HeldChecks,
        limits: QueryServerLimits,
        holder: WriteHolder? = nil,
        closer: InputCloser = InputCloser()
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(closer)
        let server = QueryServer(
            listener: .path("/nonexistent/probed.sock", mode: 0o660, group: nil),
            limits: limits,
            handler: handler,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (_, sink) = AsyncStream.makeStream(of: QueryConnectionHandler.Deferred.self)
        if let holder { try channel.pipeline.syncOperations.addHandler(holder) }
        try channel.pipeline.syncOperations.addHandler(
            QueryConnectionHandler(
                server: server,
                limits: limits,
                clock: ReadClock(loop: channel.embeddedEventLoop),
                deferred: sink
            )
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/nonexistent/probed.sock")).wait()
        return channel
    }

    static func check(_ id: Int) -> String { "{\"id\":\(id),\"op\":\"check\",\"addr\":\"198.51.100.1\"}\n" }

    /// Every line written to the channel so far.
    static func written(_ channel: EmbeddedChannel) throws -> [String] {
        var lines: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            lines += String(buffer: buffer).split(separator: "\n").map(String.init)
        }
        return lines
    }

    static func isOverloaded(_ line: String, id: Int) -> Bool {
        line.hasPrefix(#"{"id":\#(id),"ok":false,"error":{"code":"overloaded""#)
            && line.contains("limits.max_pending_per_connection is 2")
    }

    @Test func aRequestCountsAsPendingUntilTheWriteOfItsAnswerCompletes() throws {
        let checks = HeldChecks()
        let holder = WriteHolder()
        let channel = try Self.channel(checks, limits: QueryServerLimits(maxPendingPerConnection: 2), holder: holder)
        try channel.writeInbound(ByteBuffer(string: Self.check(1) + Self.check(2) + Self.check(3)))
        // Two pending: the third is refused at once.
        #expect(checks.ids == [.value(.number(1)), .value(.number(2))])
        #expect(holder.heldLines.count == 1)
        #expect(holder.heldLines.allSatisfy { Self.isOverloaded($0, id: 3) })

        // Check 1 answered from off the loop: encoded and handed to the channel, but not yet written.
        checks.answer(1)
        channel.embeddedEventLoop.run()
        #expect(holder.heldLines.contains { $0.hasPrefix(#"{"id":1,"ok":true"#) })
        try channel.writeInbound(ByteBuffer(string: Self.check(4)))
        #expect(checks.ids == [.value(.number(2))], "check 4 was admitted while check 1's answer was unwritten")
        #expect(holder.heldLines.contains { Self.isOverloaded($0, id: 4) })

        // The write completes: check 1 stops counting, and the next check is admitted.
        holder.release()
        try channel.writeInbound(ByteBuffer(string: Self.check(5)))
        #expect(checks.ids == [.value(.number(2)), .value(.number(5))])
        let lines = try Self.written(channel)
        #expect(!lines.contains { Self.isOverloaded($0, id: 5) })
        // The checks still held are answered, so that no answer callback (which refers to the
        // handler) outlives the test in `checks`.
        checks.answer(2)
        checks.answer(5)
        channel.embeddedEventLoop.run()
        _ = try channel.finish()
    }

    @Test func aTooLargeLineIsAnsweredAndTheConnectionClosesOnceEverythingReadIsAnswered() throws {
        let checks = HeldChecks()
        let closer = InputCloser()
        let channel = try Self.channel(checks, limits: QueryServerLimits(maxLineBytes: 64), closer: closer)
        let long = "{\"id\":2,\"op\":\"info\",\"pad\":\"" + String(repeating: "x", count: 100) + "\"}\n"
        try channel.writeInbound(ByteBuffer(string: Self.check(1) + long + "{\"id\":3,\"op\":\"info\"}\n"))
        let first = try Self.written(channel)
        #expect(first.count == 1)
        #expect(first.first?.hasPrefix(#"{"id":null,"ok":false,"error":{"code":"too_large""#) == true)
        // The handler stopped reading; check 1 was read before the long line: it is still owed,
        // so the connection stays open.
        #expect(closer.inputClosed)
        #expect(checks.ids == [.value(.number(1))])
        #expect(channel.isActive)
        // Nothing more is read.
        try channel.writeInbound(ByteBuffer(string: "{\"id\":4,\"op\":\"info\"}\n"))
        #expect(try Self.written(channel).isEmpty)

        checks.answer(1)
        channel.embeddedEventLoop.run()
        let last = try Self.written(channel)
        #expect(last.count == 1)
        #expect(last.first?.hasPrefix(#"{"id":1,"ok":true"#) == true)
        #expect(!channel.isActive, "the connection stayed open after its last answer")
    }

    @Test func atHalfCloseEveryPendingRequestIsAnsweredBeforeTheClose() throws {
        let checks = HeldChecks()
        let channel = try Self.channel(checks, limits: QueryServerLimits())
        // The last line has no newline: end of input completes it.
        try channel.writeInbound(
            ByteBuffer(string: Self.check(1) + "{\"id\":2,\"op\":\"info\"}\n" + Self.check(3).dropLast())
        )
        #expect(try Self.written(channel).map { $0.prefix(14) } == [#"{"id":2,"ok":tr"#.prefix(14)])
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(checks.ids == [.value(.number(1)), .value(.number(3))])
        #expect(channel.isActive)

        // The answers come later, from off the loop, through the inbox.
        checks.answer(3)
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel).map { $0.hasPrefix(#"{"id":3,"ok":true"#) } == [true])
        #expect(channel.isActive, "closed while check 1 was still owed")
        checks.answer(1)
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel).map { $0.hasPrefix(#"{"id":1,"ok":true"#) } == [true])
        #expect(!channel.isActive, "the connection stayed open after its last answer")
    }
}
