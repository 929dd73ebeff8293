import Logging
import NIOCore
import NIOEmbedded
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The connection handler on an embedded channel: it answers what needs no waiting at once, and
/// a closed connection lets go of its handler (the handler's answer callback refers back to it).
@Suite struct QueryConnectionHandlerTests {
    /// Answers `info` at once and declines everything else.
    struct InfoOnly: QueryHandler {
        func handle(_ request: Request, receivedAt: UInt64) async -> Response { .error(.unavailable("not here"), id: ResponseID(request.id)) }

        func answer(_ request: Request, receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> Bool {
            guard case .info = request.operation else { return false }
            reply(.info(.object(["version": .string("test")]), id: ResponseID(request.id)))
            return true
        }
    }

    static func server() -> QueryServer {
        QueryServer(
            listener: .path("/nonexistent/probed.sock", mode: 0o660, group: nil),
            limits: QueryServerLimits(),
            handler: InfoOnly(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    @Test func answersAtOnceAndLetsGoOfTheHandlerWhenClosed() throws {
        let server = Self.server()
        let channel = EmbeddedChannel()
        weak var released: QueryConnectionHandler?
        let (_, sink) = AsyncStream.makeStream(of: QueryConnectionHandler.Deferred.self)
        do {
            let handler = QueryConnectionHandler(
                server: server, limits: QueryServerLimits(), clock: ReadClock(loop: channel.embeddedEventLoop), deferred: sink)
            released = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try channel.writeInbound(ByteBuffer(string: "{\"id\":1,\"op\":\"info\"}\n{\"id\":2,\"op\":\"nope\"}\n"))
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        // One write for the whole read; answers in any order (the bad line's at once, as it is read).
        let lines = String(buffer: written).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.contains { $0.hasPrefix(#"{"id":1,"ok":true,"version":"test""#) })
        #expect(lines.contains { $0.hasPrefix(#"{"id":2,"ok":false,"error":{"code":"bad_request""#) })
        #expect(server.statistics().requests == 2)
        #expect(released != nil)
        _ = try channel.finish()
        #expect(released == nil, "the closed connection's handler is still referenced")
    }

    /// Counts the reads that reach the channel.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    @Test func holdsReadsWhileTheChannelIsNotWritable() throws {
        let channel = EmbeddedChannel()
        let counter = ReadCounter()
        let (_, sink) = AsyncStream.makeStream(of: QueryConnectionHandler.Deferred.self)
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            QueryConnectionHandler(
                server: Self.server(), limits: QueryServerLimits(), clock: ReadClock(loop: channel.embeddedEventLoop), deferred: sink))
        channel.read()
        #expect(counter.reads == 1)

        // Unwritten answers above the high-water mark: the next read waits.
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.read()
        channel.read()
        #expect(counter.reads == 1, "a read went through while the channel was not writable")

        // Below the low-water mark again: one held read goes through.
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2)
        channel.read()
        #expect(counter.reads == 3)
        _ = try channel.finish()
    }
}
