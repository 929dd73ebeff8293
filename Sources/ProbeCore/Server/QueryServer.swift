import CProbeSys
import Glibc
package import Logging
package import NIOCore
import NIOPosix
import ProbeProtocol
import ServiceLifecycle
import Synchronization

/// Serves wire protocol v1 on a Unix stream socket: JSON lines in, JSON lines out, many requests
/// in flight per connection, answers in any order.
///
/// On graceful shutdown it stops accepting, stops reading, answers every request already read,
/// and closes; a socket file it created itself is removed when ``run()`` returns.
package final class QueryServer: Service {
    /// Where the server listens.
    package enum Listener: Sendable {
        /// Bind this path (mode as octal bits, optional group id).
        case path(String, mode: UInt32, group: UInt32?)
        /// Serve a listening socket inherited from systemd (`LISTEN_FDS`); never unlinked.
        case inherited(descriptor: Int32)
    }

    private let listener: Listener
    let handler: any QueryHandler
    let logger: Logger
    private let group: any EventLoopGroup
    let limits: Mutex<QueryServerLimits>
    let counters = Mutex(ServerStatistics())
    /// One ``ReadClock`` per event loop, made when the loop's first connection is accepted.
    private let readClocks = Mutex<[ObjectIdentifier: NIOLoopBound<ReadClock>]>([:])
    private let onListening: @Sendable () -> Void

    /// - Parameters:
    ///   - listener: the path to bind or the inherited socket.
    ///   - limits: connection and request limits (``updateLimits(_:)`` changes them later).
    ///   - handler: answers well-formed requests.
    ///   - onListening: called once the socket accepts connections (the daemon sends READY=1 then).
    package init(
        listener: Listener,
        limits: QueryServerLimits,
        handler: any QueryHandler,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable () -> Void = {}
    ) {
        self.listener = listener
        self.limits = Mutex(limits)
        self.handler = handler
        self.group = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
    }

    /// Applies new limits (a configuration reload).
    package func updateLimits(_ newLimits: QueryServerLimits) {
        limits.withLock { $0 = newLimits }
    }

    /// The read clock of `loop`, shared by its connections; call on `loop`.
    func readClock(on loop: any EventLoop) -> ReadClock {
        readClocks.withLock { clocks in
            if let clock = clocks[ObjectIdentifier(loop)] { return clock.value }
            let clock = ReadClock(loop: loop)
            clocks[ObjectIdentifier(loop)] = NIOLoopBound(clock, eventLoop: loop)
            return clock
        }
    }

    /// The counters so far.
    package func statistics() -> ServerStatistics {
        counters.withLock { $0 }
    }

    /// Binds (or adopts) the socket and serves until cancelled or shut down gracefully.
    package func run() async throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Up to 8 reads a wake-up (NIO's default is 4): a burst's lines are read within a
            // wake-up or two, and their deadlines count from its start (``ReadClock``).
            .childChannelOption(.maxMessagesPerRead, value: 8)
            // Reads of 16 KiB at most (NIO's default grows to 64 KiB): a connection keeps its
            // last read buffer for the next read, and 8 reads a wake-up still take a burst of
            // 1,000 lines at once.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 16 * 1024))
            // Back-pressure: above 128 KiB of unwritten answers a connection is not read until
            // they drain below 32 KiB (QueryConnectionHandler), so a client that never reads
            // costs at most this, one read burst and its probes' answers.
            .childChannelOption(.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 128 * 1024))
        let makeChild: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            // Runs on the connection's event loop: the credentials (SO_PEERCRED, SO_PEERGROUPS)
            // are read from its descriptor before anything else happens on it.
            let operations = channel.pipeline.syncOperations
            let peer =
                (try? operations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) {
                    PeerCredentials.read(descriptor: $0)
                }) ?? nil
            return channel.eventLoop.makeCompletedFuture { try self.accept(channel, peer: peer) }
        }

        let serverChannel: NIOAsyncChannel<Connection, Never>
        var createdPath: (path: SocketPath, identity: (device: UInt64, inode: UInt64)?)?
        switch listener {
        case .path(let path, let mode, let groupID):
            let socketPath = SocketPath(path)
            try socketPath.prepare()
            do {
                serverChannel = try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: makeChild)
            } catch {
                throw QueryServerError(code: .bind, message: "cannot listen on \(path): \(error)")
            }
            createdPath = (socketPath, socketPath.identity())
            try socketPath.applyPermissions(mode: mode, group: groupID)
        case .inherited(let descriptor):
            try Self.checkInherited(descriptor)
            do {
                serverChannel = try await bootstrap.bind(descriptor, childChannelInitializer: makeChild)
            } catch {
                throw QueryServerError(code: .inheritedSocket, message: "cannot serve the socket passed by systemd (fd \(descriptor)): \(error)")
            }
        }
        defer {
            if let createdPath { createdPath.path.remove(ifIdentity: createdPath.identity) }
        }
        logger.info("listening", metadata: ["socket": "\(listenerDescription)"])
        onListening()

        try await withGracefulShutdownHandler {
            try await serverChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            serverChannel.channel.close(promise: nil)
        }
        logger.info("stopped listening", metadata: ["socket": "\(listenerDescription)"])
    }

    private var listenerDescription: String {
        switch listener {
        case .path(let path, _, _): path
        case .inherited(let descriptor): "fd \(descriptor) (from systemd)"
        }
    }

    /// Checks that an inherited descriptor is a listening Unix stream socket.
    private static func checkInherited(_ descriptor: Int32) throws(QueryServerError) {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        guard let domain = option(SO_DOMAIN), domain == AF_UNIX,
            let type = option(SO_TYPE), type == Int32(SOCK_STREAM.rawValue),
            let listening = option(SO_ACCEPTCONN), listening == 1
        else {
            throw QueryServerError(code: .inheritedSocket, message: "the socket passed by systemd (fd \(descriptor)) is not a listening Unix stream socket")
        }
    }

    /// An accepted connection and who opened it.
    struct Connection: Sendable {
        let channel: any Channel
        let peer: PeerCredentials?
        /// Why it was refused (answered with this error and closed), or nil.
        let refusal: ProbeError?
        /// Its requests that need a task (`pick`, `stats`); finishes when the connection closes.
        let deferred: AsyncStream<QueryConnectionHandler.Deferred>
    }
}
