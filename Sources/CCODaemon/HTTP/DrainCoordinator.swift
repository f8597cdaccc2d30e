import CCOCore
import NIOCore
import Synchronization

/// Stops accepting, drains every connection, and cuts what is still in progress after the drain
/// bound (`drain_timeout`).
///
/// NIOExtras' `ServerQuiescingHelper` closes a connection accepted while shutting down at once;
/// during a handoff the old process can still accept a few (they were in its accept batch), and the
/// client would see its request fail. Here every connection, including those, is drained politely
/// by its ``ConnectionDrain``: a late one is told of the drain as its handler is added.
final class DrainCoordinator: Sendable {
    private let draining = Atomic<Bool>(false)
    private let acceptStopped = Atomic<Bool>(false)
    /// The server channel no longer asks the kernel for connections (``ConnectionTracker``).
    fileprivate let acceptPaused = Atomic<Bool>(false)
    private let open = Mutex<OpenConnections>(OpenConnections())
    /// Accepted connections not yet handed to the loop that serves them (their pipeline is being
    /// set up on their event loop).
    private let pending = Mutex<Set<ObjectIdentifier>>([])
    private let server = Mutex<(any Channel)?>(nil)
    private let cut = Mutex<Task<Void, Never>?>(nil)
    private let requests = Atomic<Int>(0)
    private let streams = Atomic<Int>(0)
    /// How long requests in progress may go on once the drain begins.
    let drainTimeout: Duration
    /// Told when this daemon stops accepting (once): it records the drain for `cco daemon status`.
    let recorder: DrainRecorder?
    /// Told once, as the drain begins: ends what would otherwise run until the bound (event streams
    /// of the dashboard, whose clients reconnect to the daemon that accepts next).
    let whenDraining: @Sendable () -> Void

    init(drainTimeout: Duration, recorder: DrainRecorder?, whenDraining: @escaping @Sendable () -> Void = {}) {
        self.drainTimeout = drainTimeout
        self.recorder = recorder
        self.whenDraining = whenDraining
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }
    /// The server channel was closed by ``stopAccepting(for:)``: connections are still being served.
    var hasStoppedAccepting: Bool { acceptStopped.load(ordering: .acquiring) }
    /// Requests whose response has not been completely written, and those of them that stream.
    var inProgress: (requests: Int, streams: Int) { (requests.load(ordering: .relaxed), streams.load(ordering: .relaxed)) }

    /// The handler for the server channel that tracks each accepted connection.
    func makeServerChannelHandler() -> some ChannelInboundHandler {
        ConnectionTracker(coordinator: self)
    }

    /// The server channel, once bound.
    func serving(_ channel: any Channel) {
        server.withLock { $0 = channel }
    }

    /// Stops accepting and returns once the server channel is closed; connections keep being served,
    /// and the bound on how long they may take starts.
    ///
    /// The channel stops accepting first (no more `accept(2)`); it closes only once every connection
    /// it accepted has reached the loop that serves it. Closed at once, the connections whose
    /// pipeline was still being set up would be dropped unread (and reset after the idle grace).
    /// Closing it closes this process's descriptor only: a socket another process also holds (the
    /// next daemon, systemd's fd store) keeps listening there.
    func stopAccepting(for reason: DrainRecord.Reason) async {
        acceptStopped.store(true, ordering: .releasing)
        await closeServerChannel()
        startTheBound(reason)
    }

    /// Stops accepting and tells every open connection to drain. The server channel closes as after
    /// a handoff, once every connection it accepted is being served: under systemd the socket
    /// outlives this process (fd store, socket unit), and a connection accepted as SIGTERM arrived
    /// would otherwise be dropped unread.
    func beginDrain() {
        draining.store(true, ordering: .releasing)
        Task { await closeServerChannel() }
        startTheBound(.stopping)
        for channel in open.withLock({ Array($0.channels.values) }) {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
    }

    private func closeServerChannel() async {
        guard let channel = server.withLock({ $0 }) else { return }
        // No more accept(2): reads asked for from now on stop at the tracker, and turning `autoRead`
        // off on the channel's loop withdraws the one already asked for (the loop stops watching
        // the socket for readability). Once that has run, every connection accepted here is in the
        // pending set; the channel closes as soon as each of them is being served.
        acceptPaused.store(true, ordering: .releasing)
        try? await channel.setOption(ChannelOptions.autoRead, value: false).get()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        while clock.now < deadline, !pending.withLock({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        try? await channel.close()
    }

    /// The serving loop took `channel` over.
    func handling(_ channel: any Channel) {
        _ = pending.withLock { $0.remove(ObjectIdentifier(channel)) }
    }

    /// Once: records the drain and, `drainTimeout` later, closes every connection still open.
    private func startTheBound(_ reason: DrainRecord.Reason) {
        let started = cut.withLock { task -> Bool in
            guard task == nil else { return false }
            task = Task { [self] in
                try? await Task.sleep(for: drainTimeout)
                guard !Task.isCancelled else { return }
                cutEverything()
            }
            return true
        }
        guard started else { return }
        recorder?.begin(reason, coordinator: self)
        whenDraining()
    }

    /// Every connection ends after the answer it is writing: the server's task was cancelled.
    func closeInputs() {
        for channel in open.withLock({ Array($0.channels.values) }) {
            channel.close(mode: .input, promise: nil)
        }
    }

    /// Returns once no connection is open. Call it after the server channel has closed.
    func connectionsClosed() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let closed = open.withLock { open in
                guard !open.channels.isEmpty else { return true }
                open.waiters.append(waiter)
                return false
            }
            if closed { waiter.resume() }
        }
    }

    private func cutEverything() {
        let channels = open.withLock { Array($0.channels.values) }
        guard !channels.isEmpty else { return }
        recorder?.cutting(inProgress, after: drainTimeout)
        for channel in channels { channel.close(promise: nil) }
    }

    /// All connections have closed: the bound is no longer needed.
    func finished() {
        cut.withLock { $0?.cancel() }
    }

    fileprivate func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0.channels[id] = channel }
        _ = pending.withLock { $0.insert(id) }
        channel.closeFuture.whenComplete { [self] _ in
            let waiters = open.withLock { open -> [CheckedContinuation<Void, Never>] in
                open.channels.removeValue(forKey: id)
                guard open.channels.isEmpty else { return [] }
                defer { open.waiters = [] }
                return open.waiters
            }
            _ = pending.withLock { $0.remove(id) }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// A request's head was read.
    func requestBegan() { requests.add(1, ordering: .relaxed) }
    /// A response turned out to be an event stream.
    func streamBegan() { streams.add(1, ordering: .relaxed) }
    /// A response was completely written, or its connection closed first.
    func requestEnded(streaming: Bool) {
        requests.subtract(1, ordering: .relaxed)
        if streaming { streams.subtract(1, ordering: .relaxed) }
    }
}

/// The connections open, and who waits for there to be none.
private struct OpenConnections {
    var channels: [ObjectIdentifier: any Channel] = [:]
    var waiters: [CheckedContinuation<Void, Never>] = []
}

/// First in the server channel's pipeline: sees every accepted connection, and every request to
/// accept more (a read), which it stops passing on once the server stops accepting.
private final class ConnectionTracker: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Any
    let coordinator: DrainCoordinator

    init(coordinator: DrainCoordinator) { self.coordinator = coordinator }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        coordinator.add(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard !coordinator.acceptPaused.load(ordering: .acquiring) else { return }
        context.read()
    }
}
