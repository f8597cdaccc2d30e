// The floor of an HTTP/1 reverse proxy in Swift on NIO, for scripts/bench to set beside cco: one
// event loop, NIO's HTTP/1 codecs (cco's own), one kept-alive upstream connection per client
// connection, each part relayed as it comes. No tasks, routing, checks, analytics or metrics: what
// the platform costs a call, so that what cco adds on top of it can be told from it.
//
//   NIORelay LISTEN-PORT UPSTREAM-PORT      prints "listening on PORT" once bound
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// Writes `text` to `descriptor` at once (print's stdout is buffered when it is a file).
func say(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
}

guard CommandLine.arguments.count == 3, let listenPort = Int(CommandLine.arguments[1]), let upstreamPort = Int(CommandLine.arguments[2]) else {
    say("usage: NIORelay LISTEN-PORT UPSTREAM-PORT\n", to: 2)
    exit(64)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let client: any Channel
    init(client: any Channel) { self.client = client }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            client.write(HTTPServerResponsePart.head(head), promise: nil)
        case .body(let buffer):
            client.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        case .end(let trailers):
            client.writeAndFlush(HTTPServerResponsePart.end(trailers), promise: nil)
        }
    }
    func channelReadComplete(context: ChannelHandlerContext) { client.flush() }
    /// The upstream closed: so does the client's connection, which has nowhere else to go.
    func channelInactive(context: ChannelHandlerContext) { client.close(promise: nil) }
}

final class ProxyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    let upstreamPort: Int
    var upstream: (any Channel)?
    var pending: [HTTPClientRequestPart] = []
    var connecting = false

    init(upstreamPort: Int) { self.upstreamPort = upstreamPort }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part: HTTPClientRequestPart
        switch unwrapInboundIn(data) {
        case .head(var head):
            head.headers.replaceOrAdd(name: "host", value: "127.0.0.1:\(upstreamPort)")
            part = .head(head)
        case .body(let buffer): part = .body(.byteBuffer(buffer))
        case .end(let trailers): part = .end(trailers)
        }
        if let upstream {
            if case .end = part { upstream.writeAndFlush(part, promise: nil) } else { upstream.write(part, promise: nil) }
            return
        }
        pending.append(part)
        guard !connecting else { return }
        connecting = true
        let client = context.channel
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(client: client))
                }
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
            .assumeIsolated()
            .whenComplete { result in
                guard case .success(let channel) = result else { return client.close(promise: nil) }
                self.upstream = channel
                for part in self.pending { channel.write(part, promise: nil) }
                self.pending = []
                channel.flush()
            }
    }
    func channelInactive(context: ChannelHandlerContext) { upstream?.close(promise: nil) }
}

let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(ProxyHandler(upstreamPort: upstreamPort))
        }
    }
    .bind(host: "127.0.0.1", port: listenPort).wait()
say("listening on \(listenPort)\n", to: 1)
try server.closeFuture.wait()
