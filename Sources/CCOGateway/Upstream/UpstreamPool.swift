import CCOCore
import Dispatch
import NIOCore
import NIOPosix
import NIOSSL

/// The gateway's keep-alive connections to the upstream, all on one event loop: the loop that also
/// serves the clients' connections, so that a stream's events are read from the upstream and
/// written to its client by one thread, with no hop between them.
///
/// A call takes an idle connection to its upstream's origin, the most recently used first, or
/// opens one; it never waits for another call's connection (``UpstreamSlots`` bounds the calls in
/// flight). A connection that answered whole, and that neither side asked to close, goes back idle
/// and is closed after `idleTimeout` unused, counted on a clock that runs while the machine sleeps:
/// a laptop opened after an hour does not send its first call on a connection that the network
/// forgot meanwhile. A refused connection fails its call at once; only an attempt that gets no
/// answer waits up to `connectTimeout`, and so does a TLS handshake.
final class UpstreamPool: Sendable {
    let loop: any EventLoop
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// ContinuousClock's now: it counts the time the machine slept (NIO's deadlines do not).
    private let now: @Sendable () -> ContinuousClock.Instant
    private let tlsConfiguration: TLSConfiguration
    private let state: NIOLoopBoundBox<State>
    private let sweep: RepeatedTask

    private struct Idle {
        let connection: UpstreamConnection
        let since: ContinuousClock.Instant
    }

    private struct State {
        /// By origin, the most recently released last.
        var idle: [String: [Idle]] = [:]
        /// Every open connection, idle or carrying a call.
        var open: [ObjectIdentifier: any Channel] = [:]
        /// Made at the first `https` connection (it reads the system's trust roots), then shared.
        var tlsContext: NIOSSLContext?
        var shutDown = false
    }

    /// `tls` is for `https` upstreams: by default the system's trust roots, and HTTP/1.1 by ALPN.
    /// `now` is for tests of a machine that slept.
    init(loop: any EventLoop, connectTimeout: TimeAmount, idleTimeout: TimeAmount = .seconds(60), tls: TLSConfiguration? = nil,
         now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.loop = loop
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.now = now
        tlsConfiguration = tls ?? Self.defaultTLS
        state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: loop)
        let state = self.state
        let every = TimeAmount.nanoseconds(idleTimeout.nanoseconds / 4)
        sweep = loop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            Self.closeIdle(in: state, olderThan: now() - Duration(idleTimeout))
        }
    }

    static var defaultTLS: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    /// On the loop: an idle connection to `upstream`, or a new one (always, when `fresh`), or why
    /// there is none. An idle connection is handed over at once, before this returns.
    func connection(to upstream: UpstreamURL, fresh: Bool = false,
                    _ body: @escaping @Sendable (Result<UpstreamConnection, UpstreamError>) -> Void) {
        // Connections are shared by scheme, host and port.
        let origin = upstream.origin
        // The sweep has not run while the machine slept: the age is checked here too.
        let oldest = now() - Duration(idleTimeout)
        while !fresh, let idle = state.value.idle[origin]?.popLast() {
            if idle.connection.channel.isActive, idle.since > oldest { return body(.success(idle.connection)) }
            idle.connection.channel.close(promise: nil)
        }
        guard !state.value.shutDown else { return body(.failure(.closedBeforeAnswer)) }
        guard upstream.scheme == "https" else { return connect(to: upstream, origin: origin, tls: nil, body) }
        if let context = state.value.tlsContext { return connect(to: upstream, origin: origin, tls: context, body) }
        // Reading the system's trust roots takes tens of milliseconds: not on the loop, which
        // would stall every connection it serves. Once per pool.
        let (state, configuration, loop) = (self.state, tlsConfiguration, self.loop)
        DispatchQueue.global().async {
            let made = Result { try NIOSSLContext(configuration: configuration) }
            loop.execute {
                switch made {
                case .success(let context):
                    if state.value.tlsContext == nil { state.value.tlsContext = context }
                    self.connect(to: upstream, origin: origin, tls: state.value.tlsContext, body)
                case .failure(let error):
                    body(.failure(.tls("\(error)")))
                }
            }
        }
    }

    private func connect(to upstream: UpstreamURL, origin: String, tls tlsContext: NIOSSLContext?,
                         _ body: @escaping @Sendable (Result<UpstreamConnection, UpstreamError>) -> Void) {
        // SNI and the certificate's name check take a name, not an address.
        let serverName = (try? SocketAddress(ipAddress: upstream.host, port: upstream.port)) == nil ? upstream.host : nil
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: upstream.host, port: upstream.port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    body(.failure(UpstreamError.connecting(to: upstream.host, error)))
                case .success(let channel):
                    // Nothing comes before the first request, so the pipeline is built now.
                    do {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                        }
                        let connection = try UpstreamConnection.attach(to: channel, origin: origin, pool: self)
                        self.state.value.open[ObjectIdentifier(channel)] = channel
                        guard tlsContext != nil else { return body(.success(connection)) }
                        connection.whenHandshakeDone(within: self.connectTimeout) { done in body(done.map { connection }) }
                    } catch {
                        channel.close(promise: nil)
                        body(.failure(.tls("\(error)")))
                    }
                }
            }
    }

    /// On the loop: `connection` has answered whole and may carry the next call.
    func release(_ connection: UpstreamConnection) {
        guard !state.value.shutDown else {
            connection.channel.close(promise: nil)
            return
        }
        state.value.idle[connection.origin, default: []].append(Idle(connection: connection, since: now()))
    }

    /// On the loop: `channel` has closed.
    func closed(_ channel: any Channel) {
        state.value.open[ObjectIdentifier(channel)] = nil
    }

    /// Open connections, idle or carrying a call.
    func openCount() async -> Int {
        let state = self.state
        return (try? await loop.submit { state.value.open.count }.get()) ?? 0
    }

    /// Closes every connection, and the pool to new ones; the calls still on them fail.
    func shutdown() async {
        sweep.cancel()
        let (state, loop) = (self.state, self.loop)
        try? await loop.flatSubmit {
            state.value.shutDown = true
            state.value.idle = [:]
            return EventLoopFuture.andAllComplete(state.value.open.values.map { $0.close() }, on: loop)
        }.get()
    }

    private static func closeIdle(in state: NIOLoopBoundBox<State>, olderThan limit: ContinuousClock.Instant) {
        for (origin, idle) in state.value.idle {
            var kept: [Idle] = []
            for entry in idle {
                if entry.since > limit, entry.connection.channel.isActive {
                    kept.append(entry)
                } else {
                    entry.connection.channel.close(promise: nil)
                }
            }
            state.value.idle[origin] = kept.isEmpty ? nil : kept
        }
    }
}
