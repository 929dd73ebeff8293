package import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves `GET /metrics` (Prometheus text) over plain HTTP/1.1 on `metrics.listen`; nothing else.
package struct MetricsServer: Service {
    let host: String
    let port: Int
    let exporter: MetricsExporter
    let logger: Logger

    package init(host: String, port: Int, exporter: MetricsExporter, logger: Logger) {
        self.host = host
        self.port = port
        self.exporter = exporter
        self.logger = logger
    }

    package func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("serving metrics", metadata: ["listen": "\(host):\(port)"])
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let request):
                    head = request
                case .body:
                    break
                case .end:
                    guard let request = head else { continue }
                    let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
                    let body = found ? exporter.scrape() : Array("not found: probed serves /metrics only\n".utf8)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(body.count))
                    let status: HTTPResponseStatus = found ? .ok : (request.method == .GET ? .notFound : .methodNotAllowed)
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    head = nil
                    if !request.isKeepAlive { return }
                }
            }
        }
    }
}

extension MetricsServer: CustomStringConvertible {
    package var description: String { "MetricsServer(\(host):\(port))" }
}
