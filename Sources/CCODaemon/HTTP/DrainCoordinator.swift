import NIOCore
import Synchronization

/// Starts the drain of every connection when the server stops accepting.
///
/// NIOExtras' `ServerQuiescingHelper` closes a connection accepted while shutting down at once;
/// during a handoff the old process can still accept a few (they were in its accept batch), and the
/// client would see its request fail. Here every connection, including those, is drained politely
/// by its ``DrainHandler``: a late one is told of the drain when its handler is added.
final class DrainCoordinator: Sendable {
    private let draining = Atomic<Bool>(false)
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let server = Mutex<(any Channel)?>(nil)

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// The handler for the server channel that tracks each accepted connection.
    func makeServerChannelHandler() -> some ChannelInboundHandler {
        ConnectionTracker(coordinator: self)
    }

    /// The server channel, once bound.
    func serving(_ channel: any Channel) {
        server.withLock { $0 = channel }
    }

    /// Stops accepting: closes the server channel's own descriptor (a socket another process also
    /// holds keeps listening there) and returns once it is closed. Connections keep being served.
    func stopAccepting() async {
        guard let channel = server.withLock({ $0 }) else { return }
        try? await channel.close()
    }

    /// Stops accepting and tells every open connection to drain.
    func beginDrain() {
        draining.store(true, ordering: .releasing)
        server.withLock { $0 }?.close(promise: nil)
        for channel in open.withLock({ Array($0.values) }) {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
    }

    fileprivate func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = open.withLock { $0.removeValue(forKey: id) }
        }
    }
}

private final class ConnectionTracker: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    let coordinator: DrainCoordinator

    init(coordinator: DrainCoordinator) { self.coordinator = coordinator }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        coordinator.add(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }
}
