import Logging
import NIOCore
import ProbeProtocol
import ServiceLifecycle
import Synchronization

extension QueryServer {
    /// Admits a new connection (peer credentials, `limits.max_connections`) and installs its
    /// ``QueryConnectionHandler``; a refused one gets one error line and is closed. Runs on the
    /// connection's event loop, before anything is read.
    func accept(_ channel: any Channel, peer: PeerCredentials?) throws -> Connection {
        let limits = self.limits.withLock { $0 }
        let refusal = counters.withLock { counters -> ProbeError? in
            counters.connections += 1
            if !limits.peers.admits(peer) {
                counters.refusedConnections += 1
                counters.errors[.notAllowed, default: 0] += 1
                return .notAllowed("peer \(peer.map(String.init(describing:)) ?? "unknown") is not allowed by socket.allowed_uids/allowed_gids")
            }
            if counters.openConnections >= limits.maxConnections {
                counters.refusedConnections += 1
                counters.errors[.overloaded, default: 0] += 1
                return .overloaded("too many connections (limits.max_connections is \(limits.maxConnections))")
            }
            counters.openConnections += 1
            return nil
        }
        let (deferred, sink) = AsyncStream.makeStream(of: QueryConnectionHandler.Deferred.self)
        if let refusal {
            sink.finish()
            var buffer = channel.allocator.buffer(capacity: 256)
            buffer.writeBytes(Response.error(refusal, id: .null).encoded())
            channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.closeFuture.whenComplete { _ in self.counters.withLock { $0.openConnections -= 1 } }
            try channel.pipeline.syncOperations.addHandler(QueryConnectionHandler(server: self, limits: limits, clock: readClock(on: channel.eventLoop), deferred: sink))
        }
        return Connection(channel: channel, peer: peer, refusal: refusal, deferred: deferred)
    }

    /// Serves one connection's requests that need a task (`pick`, `stats`), each in a child task,
    /// until the connection closes; at graceful shutdown it stops the connection's reading (what
    /// was read is still answered, then the handler closes it).
    func serve(_ connection: Connection) async {
        if let refusal = connection.refusal {
            logger.notice("connection refused", metadata: ["peer": "\(connection.peer.map(String.init(describing:)) ?? "unknown")", "reason": "\(refusal.message)"])
            return
        }
        let handler = self.handler
        await withDiscardingTaskGroup { requests in
            await withGracefulShutdownHandler {
                for await deferred in connection.deferred {
                    requests.addTask { deferred.reply(await handler.handle(deferred.request, receivedAt: deferred.receivedAt)) }
                }
            } onGracefulShutdown: {
                connection.channel.close(mode: .input, promise: nil)
            }
        }
        // The deferred stream ends when the connection closes.
        try? await connection.channel.closeFuture.get()
    }

    func record(_ code: ProbeError.Code) {
        counters.withLock { $0.errors[code, default: 0] += 1 }
    }
}
