import Logging
import NIOCore
import ProbeProtocol
import Synchronization

/// Serves one connection on its event loop: frames and decodes request lines where they are read,
/// answers what needs no waiting at once, and writes all the answers of one read burst in one
/// write. A check that waits for a probe is answered through a callback when the probe ends; the
/// answers that finish off the loop are gathered (``AnswerInbox``) and written together in the
/// loop's next turn. `pick` and `stats` go to the connection's task (``QueryServer/serve(_:)``).
///
/// Back-pressure: while the connection's unwritten answers are above the channel's high-water mark
/// (``QueryServer`` sets it), the handler holds the channel's reads back, so a client that sends
/// and never reads fills its own socket, not the daemon's memory; reading resumes once the
/// answers drain below the low-water mark. A request counts as pending until its answer is
/// written to the socket, not merely encoded.
///
/// At end of input (the client half-closed, or the server stops reading at shutdown) and after a
/// `too_large` line, it reads no more, answers everything already read, then closes once every
/// answer is written.
final class QueryConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request that needs a task: answered by the connection's task through `reply`.
    struct Deferred: Sendable {
        let request: Request
        /// When it was read (``MonotonicTime``): its deadline counts from then.
        let receivedAt: UInt64
        let reply: @Sendable (Response) -> Void
    }

    private let server: QueryServer
    private let limits: QueryServerLimits
    /// When the loop woke to read: the requests' deadlines count from it.
    private let clock: ReadClock
    private let deferred: AsyncStream<Deferred>.Continuation
    private let inbox = AnswerInbox()
    private var framer: LineFramer
    private var output: [UInt8] = []
    /// Requests read whose answers are not yet written to the socket.
    private var pending = 0
    /// Answers encoded into ``output`` since it was last written (they leave ``pending`` once
    /// that write completes).
    private var answersInOutput = 0
    /// Writes handed to the channel and not yet completed: the connection closes after the last.
    private var writesInFlight = 0
    /// A read the channel asked for while it was not writable, held until it is.
    private var readHeld = false
    /// Requests read since the counters were last updated.
    private var requestsRead = 0
    /// Reading has ended (end of input, shutdown, or a line too large).
    private var inputEnded = false
    private var closeStarted = false
    /// Set while ``dispatch(_:receivedAt:context:)`` asks the handler: an answer given now is
    /// written with the read burst's others.
    private var answeringInline = false
    private var context: ChannelHandlerContext?
    /// The requests of the current read, answered together at its end.
    private var batch: [Request] = []
    /// The most requests whose room ``batch`` keeps between reads.
    static let keptBatchCapacity = 64
    /// Where every answer of this connection goes (made once the handler is added).
    private var reply: (@Sendable (Response) -> Void)?

    init(server: QueryServer, limits: QueryServerLimits, clock: ReadClock, deferred: AsyncStream<Deferred>.Continuation) {
        self.server = server
        self.limits = limits
        self.clock = clock
        self.deferred = deferred
        self.framer = LineFramer(maxLineLength: limits.maxLineBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.reply = makeReply(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The answer callback refers back to this handler: let go of it, so that a closed
        // connection's handler is freed as soon as no probe still holds the callback.
        reply = nil
        deferred.finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deferred.finish()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !inputEnded else { return }
        let receivedAt = clock.readTime()
        let buffer = unwrapInboundIn(data)
        framer.append(buffer.readableBytesView)
        while let event = framer.next() {
            switch event {
            case .line(let line):
                decode(line)
            case .tooLarge:
                answerBatch(receivedAt: receivedAt)
                answerTooLarge()
                endInput(context, stopReading: true)
                return
            }
        }
        answerBatch(receivedAt: receivedAt)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context)
        context.fireChannelReadComplete()
    }

    /// Holds the channel's next read while its unwritten output is above the high-water mark.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readHeld {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            if !inputEnded {
                switch framer.finish() {
                case .line(let line)?:
                    decode(line)
                    answerBatch(receivedAt: clock.readTime())
                case .tooLarge?: answerTooLarge()
                case nil: break
                }
            }
            endInput(context, stopReading: false)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("connection failed", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Decodes one request line into the batch of this read (a malformed line, or one over the
    /// pending limit, is answered with its error at once).
    private func decode(_ line: ArraySlice<UInt8>) {
        requestsRead += 1
        let request: Request
        switch Request.decode(line) {
        case .failure(let id, let error):
            server.record(error.code)
            Response.error(error, id: id).encode(into: &output)
            return
        case .success(let decoded):
            request = decoded
        }
        guard pending < limits.maxPendingPerConnection else {
            server.record(.overloaded)
            let error = ProbeError.overloaded(
                "too many requests pending on this connection (limits.max_pending_per_connection is \(limits.maxPendingPerConnection))")
            Response.error(error, id: ResponseID(request.id)).encode(into: &output)
            return
        }
        pending += 1
        batch.append(request)
    }

    /// Answers the requests of this read: what needs no waiting lands in the output now; the
    /// rest come back through ``reply`` later, or go to the connection's task.
    private func answerBatch(receivedAt: UInt64) {
        guard !batch.isEmpty, let reply else { return }
        // Taken out, not copied: the array goes back emptied, keeping a small capacity (a burst's
        // read holds hundreds of requests; a connection kept that much for good while it waits).
        var requests: [Request] = []
        swap(&requests, &batch)
        answeringInline = true
        let declined = server.handler.answer(requests, receivedAt: receivedAt, reply: reply)
        answeringInline = false
        if batch.isEmpty, requests.capacity <= Self.keptBatchCapacity {
            requests.removeAll(keepingCapacity: true)
            swap(&requests, &batch)
        }
        if !declined.isEmpty {
            countRequests()
            for request in declined { deferred.yield(Deferred(request: request, receivedAt: receivedAt, reply: reply)) }
        }
    }

    /// Where the answers of this connection go: straight into the output when they come while a
    /// read's requests are being answered, else through the inbox to the loop's next turn.
    private func makeReply(_ context: ChannelHandlerContext) -> @Sendable (Response) -> Void {
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let inbox = self.inbox
        let server = self.server
        return { response in
            if case .error(let error, _) = response { server.record(error.code) }
            if loop.inEventLoop, handler.value.answeringInline {
                handler.value.answersInOutput += 1
                response.encode(into: &handler.value.output)
                return
            }
            if inbox.add(response) {
                loop.execute { handler.value.drainInbox() }
            }
        }
    }

    /// Writes the answers that finished off the loop.
    private func drainInbox() {
        let (lines, count) = inbox.take()
        answersInOutput += count
        guard let context else { return }
        if output.isEmpty { output = lines } else { output.append(contentsOf: lines) }
        flush(context)
    }

    /// Adds the requests read so far to the server's counters (once per read burst).
    private func countRequests() {
        guard requestsRead > 0 else { return }
        let read = requestsRead
        requestsRead = 0
        server.counters.withLock { $0.requests += read }
    }

    private func answerTooLarge() {
        requestsRead += 1
        server.record(.tooLarge)
        let error = ProbeError.tooLarge("request line longer than \(limits.maxLineBytes) bytes (limits.max_line_bytes); closing the connection")
        Response.error(error, id: .null).encode(into: &output)
    }

    /// Reads no more; closes once every request read is answered.
    private func endInput(_ context: ChannelHandlerContext, stopReading: Bool) {
        let first = !inputEnded
        inputEnded = true
        if first, stopReading { context.close(mode: .input, promise: nil) }
        flush(context)
    }

    /// Writes what is ready; once input has ended and every answer is written, closes.
    private func flush(_ context: ChannelHandlerContext) {
        countRequests()
        if !output.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: output.count)
            buffer.writeBytes(output)
            output.removeAll(keepingCapacity: output.count <= 1 << 16)
            let answered = answersInOutput
            answersInOutput = 0
            writesInFlight += 1
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
                self.writesInFlight -= 1
                self.pending -= answered
                self.closeIfDone()
            }
        }
        closeIfDone()
    }

    /// Closes once input has ended, nothing is owed and no write is still on its way (closing
    /// earlier would drop the writes a slow reader has not taken yet).
    private func closeIfDone() {
        guard inputEnded, pending == 0, writesInFlight == 0, !closeStarted, let context else { return }
        closeStarted = true
        context.close(promise: nil)
    }
}
