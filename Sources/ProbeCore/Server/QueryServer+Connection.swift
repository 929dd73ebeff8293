import Logging
import NIOCore
import ProbeProtocol
import ServiceLifecycle
import Synchronization

extension QueryServer {
    /// Serves one connection: reads lines, answers each request as soon as it is ready, and on
    /// end of input, `too_large` or shutdown answers everything pending before closing.
    func serve(_ connection: Connection) async {
        let limits = self.limits.withLock { $0 }
        let admitted = counters.withLock { counters -> Admission in
            counters.connections += 1
            if !limits.peers.admits(connection.peer) {
                counters.refusedConnections += 1
                counters.errors[.notAllowed, default: 0] += 1
                return .refused(.notAllowed("peer \(connection.peer.map(String.init(describing:)) ?? "unknown") is not allowed by socket.allowed_uids/allowed_gids"))
            }
            if counters.openConnections >= limits.maxConnections {
                counters.refusedConnections += 1
                counters.errors[.overloaded, default: 0] += 1
                return .refused(.overloaded("too many connections (limits.max_connections is \(limits.maxConnections))"))
            }
            counters.openConnections += 1
            return .admitted
        }
        if case .refused(let error) = admitted {
            logger.notice("connection refused", metadata: ["peer": "\(connection.peer.map(String.init(describing:)) ?? "unknown")", "reason": "\(error.message)"])
            try? await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(bytes: Response.error(error, id: .null).encoded()))
            }
            return
        }
        defer { counters.withLock { $0.openConnections -= 1 } }

        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                let writer = ResponseWriter()
                await withDiscardingTaskGroup { outer in
                    outer.addTask { await writer.run(outbound) }
                    await withDiscardingTaskGroup { requests in
                        await withGracefulShutdownHandler {
                            await self.read(inbound, limits: limits, writer: writer, requests: &requests)
                        } onGracefulShutdown: {
                            // Stop reading; what was read is still answered.
                            connection.channel.channel.close(mode: .input, promise: nil)
                        }
                    }
                    // Every request is answered: flush and let the connection close.
                    writer.finish()
                }
            }
        } catch {
            logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private enum Admission { case admitted, refused(ProbeError) }

    /// Reads request lines until end of input, a too-large line or an error; starts a child task
    /// per request in `requests`.
    private func read(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        limits: QueryServerLimits,
        writer: ResponseWriter,
        requests: inout DiscardingTaskGroup
    ) async {
        var framer = LineFramer(maxLineLength: limits.maxLineBytes)
        let pending = PendingCounter()
        do {
            reading: for try await buffer in inbound {
                framer.append(buffer.readableBytesView)
                while let event = framer.next() {
                    switch event {
                    case .line(let line):
                        dispatch(line, pending: pending, limit: limits.maxPendingPerConnection, writer: writer, requests: &requests)
                    case .tooLarge:
                        answerTooLarge(limits: limits, writer: writer)
                        break reading
                    }
                }
            }
            switch framer.finish() {
            case .line(let line)?:
                dispatch(line, pending: pending, limit: limits.maxPendingPerConnection, writer: writer, requests: &requests)
            case .tooLarge?:
                answerTooLarge(limits: limits, writer: writer)
            case nil:
                break
            }
        } catch {
            logger.debug("read failed", metadata: ["error": "\(error)"])
        }
    }

    private func answerTooLarge(limits: QueryServerLimits, writer: ResponseWriter) {
        counters.withLock {
            $0.requests += 1
            $0.errors[.tooLarge, default: 0] += 1
        }
        writer.enqueue(.error(.tooLarge("request line longer than \(limits.maxLineBytes) bytes (limits.max_line_bytes); closing the connection"), id: .null))
    }

    private func dispatch(
        _ line: ArraySlice<UInt8>,
        pending: PendingCounter,
        limit: Int,
        writer: ResponseWriter,
        requests: inout DiscardingTaskGroup
    ) {
        let decoded = Request.decode(line)
        counters.withLock { $0.requests += 1 }
        switch decoded {
        case .failure(let id, let error):
            record(error.code)
            writer.enqueue(.error(error, id: id))
        case .success(let request):
            if let response = handler.answerImmediately(request) {
                if case .error(let error, _) = response { record(error.code) }
                writer.enqueue(response)
                return
            }
            guard pending.increment() <= limit else {
                pending.decrement()
                record(.overloaded)
                writer.enqueue(.error(.overloaded("too many requests pending on this connection (limits.max_pending_per_connection is \(limit))"), id: ResponseID(request.id)))
                return
            }
            let handler = self.handler
            requests.addTask {
                let response = await handler.handle(request)
                if case .error(let error, _) = response { self.record(error.code) }
                writer.enqueue(response)
                pending.decrement()
            }
        }
    }

    func record(_ code: ProbeError.Code) {
        counters.withLock { $0.errors[code, default: 0] += 1 }
    }
}

/// Requests of one connection being answered now.
final class PendingCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds one and returns the new count.
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }

    func decrement() { value.subtract(1, ordering: .relaxed) }
}
