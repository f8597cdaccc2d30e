import CCOCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import CCOGateway

/// The gateway's own upstream connections, against a scripted upstream on a real socket: TLS and
/// its checks, refusals, answers that end as their connection closes, idle connections, and an
/// upstream that goes silent.
@Suite struct UpstreamPoolTests {
    @Test func anHTTPSUpstreamIsReachedOverTLSAndItsAnswerReadWhole() async throws {
        let upstream = try await ScriptedUpstream.start(tls: .localhost, answer: ScriptedUpstream.ok("over TLS"))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5), tls: Self.trusting(TestCertificates.localhostCertificate))
        let outcome = try await call(pool, "https://localhost:\(upstream.port)")
        #expect(outcome == .answered(status: 200, body: "over TLS"))
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aCertificateNotFromATrustedRootFailsTheCallAsTLS() async throws {
        let upstream = try await ScriptedUpstream.start(tls: .localhost, answer: ScriptedUpstream.ok("never read"))
        // The system's roots, as the daemon uses: a self-signed certificate is not among them.
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let outcome = try await call(pool, "https://localhost:\(upstream.port)")
        guard case .failed(.tls) = outcome else { Issue.record("got \(outcome)"); return }
        await pool.shutdown()
        try await upstream.stop()
    }

    /// A trusted certificate that does not name the upstream fails the call: one for another host
    /// name, and one for `localhost` alone when the upstream is given as `127.0.0.1` (an address
    /// gets no SNI, but its certificate must still name it).
    @Test(arguments: [(ScriptedUpstream.Identity.elsewhere, "localhost"), (.localhost, "127.0.0.1")])
    func aCertificateThatDoesNotNameTheUpstreamFailsTheCallAsTLS(identity: ScriptedUpstream.Identity, host: String) async throws {
        let upstream = try await ScriptedUpstream.start(tls: identity, answer: ScriptedUpstream.ok("never read"))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5), tls: Self.trusting(identity.certificate))
        let outcome = try await call(pool, "https://\(host):\(upstream.port)")
        #expect(outcome == .failed(.tls("the upstream's certificate does not name the host or address in upstream_url")))
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aTLSHandshakeThatNeverEndsFailsAfterTheConnectTimeout() async throws {
        // A plain HTTP upstream never answers the client's hello.
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok("never read"))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .milliseconds(300), tls: Self.trusting(TestCertificates.localhostCertificate))
        #expect(try await call(pool, "https://localhost:\(upstream.port)") == .failed(.connectTimeout))
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aRefusedConnectionFailsAsRefusedNotAsATimeout() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok(""))
        let port = upstream.port
        try await upstream.stop()
        let pool = UpstreamPool(loop: MultiThreadedEventLoopGroup.singleton.next(), connectTimeout: .seconds(30))
        let started = ContinuousClock.now
        #expect(try await call(pool, "http://127.0.0.1:\(port)") == .failed(.connectionRefused))
        #expect(ContinuousClock.now - started < .seconds(30), "a refusal is final: nothing waits for upstream_connect_timeout")
        await pool.shutdown()
    }

    @Test func anAnswerThatArrivesWholeAsItsConnectionClosesIsWhole() async throws {
        // Head, body and the close in one go, while the receiver is not yet ready for the body.
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok("all of it", close: true))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let outcome = try await call(pool, "http://127.0.0.1:\(upstream.port)", holdingTheHeadFor: .milliseconds(200))
        #expect(outcome == .answered(status: 200, body: "all of it"))
        #expect(await pool.openCount() == 0, "a connection the upstream closed is not kept")
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aConnectionIsReusedAndOneTheUpstreamClosedWhileIdleIsNot() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok("again"))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let url = "http://127.0.0.1:\(upstream.port)"
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        #expect(upstream.connections == 1)
        upstream.closeEveryConnection()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        #expect(upstream.connections == 2)
        await pool.shutdown()
        try await upstream.stop()
    }

    /// A machine that slept an hour: NIO's deadlines stood still, so the sweep (every 15 s of them)
    /// has not run, but the idle connection is an hour old and may be dead on the network. The next
    /// call opens a new one instead.
    @Test func aConnectionIdleLongerThanTheTimeoutWhileTheMachineSleptIsNotReused() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok("again"))
        let slept = Mutex(Duration.zero)
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5), idleTimeout: .seconds(60),
                                now: { ContinuousClock.now + slept.withLock { $0 } })
        let url = "http://127.0.0.1:\(upstream.port)"
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        // 50 s of sleep leaves the test's own time between its calls 10 s before the timeout, on a
        // host busy with the tests run beside it.
        slept.withLock { $0 = .seconds(50) }
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        #expect(upstream.connections == 1, "idle 50 s: kept")
        slept.withLock { $0 = .seconds(50 + 3600) }
        #expect(try await call(pool, url) == .answered(status: 200, body: "again"))
        #expect(upstream.connections == 2, "idle an hour: a new connection")
        #expect(await pool.openCount() == 1, "the stale one is closed")
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aCallTheUpstreamLeavesUnansweredFailsAsSilentOnceItsLimitHasPassed() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answers: [[]])
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let started = ContinuousClock.now
        #expect(try await call(pool, "http://127.0.0.1:\(upstream.port)", silenceLimit: .milliseconds(300)) == .failed(.silent))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(300) && waited < .seconds(10), "failed after \(waited)")
        #expect(await pool.openCount() == 0, "a connection whose call went silent is closed, not pooled")
        await pool.shutdown()
        try await upstream.stop()
    }

    /// An upstream that stops reading: a body larger than the sockets' buffers is never written
    /// whole, and the silence counts from when the request was handed to the connection.
    @Test func aCallWhoseRequestTheUpstreamStopsReadingFailsAsSilentOnceItsLimitHasPassed() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answers: [[]], reading: false)
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let started = ContinuousClock.now
        let outcome = try await call(pool, "http://127.0.0.1:\(upstream.port)", body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 20),
                                     silenceLimit: .milliseconds(500))
        #expect(outcome == .failed(.silent))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(500) && waited < .seconds(10), "failed after \(waited)")
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func anAnswerWhosePartsKeepComingIsNotCutHoweverLongItTakes() async throws {
        // Twelve parts 100 ms apart: 1.2 s in all, more than twice the limit, never 500 ms silent
        // (400 ms of slack for a busy host's timers).
        let parts = (1 ... 12).map { (after: TimeAmount.milliseconds(100), bytes: ScriptedUpstream.chunk("part \($0);")) }
        let upstream = try await ScriptedUpstream.start(
            tls: nil, answers: [[(.zero, ScriptedUpstream.chunkedHead)] + parts + [(.zero, ScriptedUpstream.lastChunk)]])
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let outcome = try await call(pool, "http://127.0.0.1:\(upstream.port)", silenceLimit: .milliseconds(500))
        #expect(outcome == .answered(status: 200, body: (1 ... 12).map { "part \($0);" }.joined()))
        await pool.shutdown()
        try await upstream.stop()
    }

    /// The check is the connection's and outlives a call: the first call arms it for its own
    /// request, the second, on the same connection, must still be given its whole limit.
    @Test func aSilentCallOnAConnectionThatCarriedOneBeforeIsGivenItsWholeLimit() async throws {
        let second = try await silentSecondCall(firstLimit: .milliseconds(800), pause: .milliseconds(500), secondLimit: .milliseconds(800))
        #expect(second.outcome == .failed(.silent))
        #expect(second.waited >= .milliseconds(800), "failed \(second.waited) after its request: timed from the first call's")
        #expect(second.connections == 1, "both calls went on the one connection")
    }

    @Test func aConnectionIdleInItsPoolOutlastsTheSilenceLimitOfItsLastCall() async throws {
        let upstream = try await ScriptedUpstream.start(tls: nil, answer: ScriptedUpstream.ok("again"))
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let url = "http://127.0.0.1:\(upstream.port)"
        #expect(try await call(pool, url, silenceLimit: .milliseconds(200)) == .answered(status: 200, body: "again"))
        try await Task.sleep(for: .milliseconds(600))
        #expect(await pool.openCount() == 1, "idle is not silent: the pool's idle timeout decides")
        #expect(try await call(pool, url, silenceLimit: .milliseconds(200)) == .answered(status: 200, body: "again"))
        #expect(upstream.connections == 1)
        await pool.shutdown()
        try await upstream.stop()
    }

    /// A reload lowers `upstream_timeout`: the next call on a connection whose check was armed for
    /// the old limit is held to the new one.
    @Test func aLowerLimitHoldsOnAConnectionWhoseCheckWasArmedForAHigherOne() async throws {
        let second = try await silentSecondCall(firstLimit: .seconds(12), pause: .zero, secondLimit: .milliseconds(300))
        #expect(second.outcome == .failed(.silent))
        #expect(second.waited >= .milliseconds(300) && second.waited < .seconds(6), "failed after \(second.waited), as the old limit's check came")
        #expect(second.connections == 1)
    }

    /// A first call answered, then (after `pause`) a second on the same connection that the
    /// upstream leaves unanswered: how the second ended, how long after it was sent, and the
    /// connections the upstream saw.
    private func silentSecondCall(firstLimit: TimeAmount, pause: Duration, secondLimit: TimeAmount) async throws
        -> (outcome: CallOutcome, waited: Duration, connections: Int) {
        let upstream = try await ScriptedUpstream.start(tls: nil, answers: [[(.zero, ScriptedUpstream.ok("first"))], []])
        let pool = UpstreamPool(loop: upstream.loop, connectTimeout: .seconds(5))
        let url = "http://127.0.0.1:\(upstream.port)"
        #expect(try await call(pool, url, silenceLimit: firstLimit) == .answered(status: 200, body: "first"))
        try await Task.sleep(for: pause)
        let started = ContinuousClock.now
        let outcome = try await call(pool, url, silenceLimit: secondLimit)
        let waited = ContinuousClock.now - started
        let connections = upstream.connections
        await pool.shutdown()
        try await upstream.stop()
        return (outcome, waited, connections)
    }

    static func trusting(_ pem: String) -> TLSConfiguration {
        var configuration = UpstreamPool.defaultTLS
        configuration.trustRoots = .certificates([try! NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)])
        return configuration
    }
}

enum CallOutcome: Equatable, Sendable {
    case answered(status: Int, body: String)
    case failed(UpstreamError)
}

extension UpstreamError {
    static var tls: UpstreamError { .tls("") }
}

/// `GET /` on `url` through `pool` (a `POST` of `body` when there is one), as the gateway's exchange makes it.
func call(_ pool: UpstreamPool, _ url: String, holdingTheHeadFor hold: TimeAmount? = nil, body: ByteBuffer? = nil,
          silenceLimit: TimeAmount = .seconds(60)) async throws -> CallOutcome {
    let upstream = try #require(UpstreamURL(url))
    let promise = pool.loop.makePromise(of: CallOutcome.self)
    pool.loop.execute {
        let recorder = Recorder(promise: promise, hold: hold)
        pool.connection(to: upstream) { result in
            switch result {
            case .failure(let error): promise.succeed(.failed(error))
            case .success(let connection):
                var head = HTTPRequestHead(version: .http1_1, method: body == nil ? .GET : .POST, uri: "/", headers: ["Host": upstream.authority])
                if let body { head.headers.add(name: "content-length", value: String(body.readableBytes)) }
                connection.send(UpstreamRequest(head: head, body: body), to: recorder, silenceLimit: silenceLimit)
            }
        }
    }
    return try await promise.futureResult.get()
}

/// Records one call on the pool's loop, where every receiver call runs.
private final class Recorder: UpstreamCallReceiver, @unchecked Sendable {
    let promise: EventLoopPromise<CallOutcome>
    let hold: TimeAmount?
    var status = 0
    var body = ""

    init(promise: EventLoopPromise<CallOutcome>, hold: TimeAmount?) {
        self.promise = promise
        self.hold = hold
    }

    func received(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        status = Int(head.status.code)
        guard let hold else { return nil }
        return promise.futureResult.eventLoop.scheduleTask(in: hold) {}.futureResult
    }

    func received(_ part: ByteBuffer) -> EventLoopFuture<Void>? {
        body += String(buffer: part)
        return nil
    }

    func ended() { promise.succeed(.answered(status: status, body: body)) }
    func failed(_ error: UpstreamError) { promise.succeed(.failed(error)) }
}

extension CallOutcome {
    static func == (lhs: CallOutcome, rhs: CallOutcome) -> Bool {
        switch (lhs, rhs) {
        case let (.answered(a, b), .answered(c, d)): a == c && b == d
        case (.failed(.tls), .failed(.tls)): true
        case let (.failed(a), .failed(b)): a == b
        default: false
        }
    }
}

/// A one-thread upstream that answers requests with scripted bytes, over TLS or not.
final class ScriptedUpstream: Sendable {
    enum Identity {
        case localhost, elsewhere

        var certificate: String { self == .localhost ? TestCertificates.localhostCertificate : TestCertificates.elsewhereCertificate }
        var key: String { self == .localhost ? TestCertificates.localhostKey : TestCertificates.elsewhereKey }
    }

    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let counter: Counter
    var loop: any EventLoop { group.next() }
    var port: Int { channel.localAddress?.port ?? 0 }
    var connections: Int { counter.count }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, counter: Counter) {
        (self.group, self.channel, self.counter) = (group, channel, counter)
    }

    /// Bytes to write once `after` has passed since the part before (or since the request).
    typealias Part = (after: TimeAmount, bytes: String)

    static func ok(_ body: String, close: Bool = false) -> String {
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\n\(close ? "connection: close\r\n" : "")\r\n\(body)"
    }

    static let chunkedHead = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
    static let lastChunk = "0\r\n\r\n"
    static func chunk(_ text: String) -> String { "\(String(text.utf8.count, radix: 16))\r\n\(text)\r\n" }

    /// Every request answered at once with `answer`.
    static func start(tls identity: Identity?, answer: String) async throws -> ScriptedUpstream {
        try await start(tls: identity, answers: [[(.zero, answer)]])
    }

    /// The nth request on a connection answered by the nth script (the last one for any after it);
    /// an empty script leaves its request unanswered. Not `reading`, it reads nothing it is sent.
    static func start(tls identity: Identity?, answers: [[Part]], reading: Bool = true) async throws -> ScriptedUpstream {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let context = try identity.map { identity in
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(identity.certificate.utf8), format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.key.utf8), format: .pem)))
            return try NIOSSLContext(configuration: configuration)
        }
        let counter = Counter()

        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: reading)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    counter.opened(channel)
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.addHandler(Answering(answers: answers))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedUpstream(group: group, channel: channel, counter: counter)
    }

    func closeEveryConnection() { counter.closeAll() }

    func stop() async throws {
        try await channel.close()
        counter.closeAll()
        try await group.shutdownGracefully()
    }

    /// Connections opened, and those still open.
    final class Counter: Sendable {
        private let state = Mutex<(count: Int, open: [any Channel])>((0, []))
        var count: Int { state.withLock { $0.count } }
        func opened(_ channel: any Channel) { state.withLock { $0.count += 1; $0.open.append(channel) } }
        func closeAll() {
            let open = state.withLock { $0.open }
            for channel in open { channel.close(promise: nil) }
        }
    }

    /// Answers each request head (`\r\n\r\n`) with its script, part by part, and closes after a
    /// part that says `connection: close`.
    private final class Answering: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answers: [[Part]]
        var received = ""
        var requests = 0

        init(answers: [[Part]]) { self.answers = answers }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            while let end = received.range(of: "\r\n\r\n") {
                received.removeSubrange(..<end.upperBound)
                write(answers[min(requests, answers.count - 1)][...], context: context)
                requests += 1
            }
        }

        private func write(_ parts: ArraySlice<Part>, context: ChannelHandlerContext) {
            guard let part = parts.first else { return }
            let send = {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: part.bytes)), promise: nil)
                if part.bytes.contains("connection: close") { context.close(promise: nil) }
                self.write(parts.dropFirst(), context: context)
            }
            if part.after == .zero {
                send()
            } else {
                context.eventLoop.assumeIsolated().scheduleTask(in: part.after, send)
            }
        }
    }
}

/// Self-signed, valid until 2126: one for `localhost`, one for `elsewhere.invalid`.
enum TestCertificates {
    static let localhostCertificate = """
-----BEGIN CERTIFICATE-----
MIIBlTCCATugAwIBAgIUVPOLa5ziFEClW0e0axX+mHkQauIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNDA0NTUzMFoYDzIxMjYxMTEw
MDQ1NTMwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARehgD+mQ3QpxEu4TVUOpiSGcLzHs4YfgJE1DIUvjzIQ8vhSWwz0Btj
uxOALIQalLgYN9g73r08YlDM7/DNmHhdo2kwZzAdBgNVHQ4EFgQUC3EnCZa6j1iU
Y4KC/Q9qXuNzLf4wHwYDVR0jBBgwFoAUC3EnCZa6j1iUY4KC/Q9qXuNzLf4wDwYD
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
SAAwRQIhALfPCD7LENmSFkb2+2DGYhAvJBmQ+KU9sxGwfDd9z+xIAiAui2/NXCio
CeHQQ7EM9kJmIABHrv8Xx3Uu8LjdM55RTQ==
-----END CERTIFICATE-----
"""
    static let localhostKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3q+kbfB3ZUMmIv4B
jIQBlUqydHnJ6K4Mq8NLN6rbVrChRANCAARehgD+mQ3QpxEu4TVUOpiSGcLzHs4Y
fgJE1DIUvjzIQ8vhSWwz0BtjuxOALIQalLgYN9g73r08YlDM7/DNmHhd
-----END PRIVATE KEY-----
"""
    static let elsewhereCertificate = """
-----BEGIN CERTIFICATE-----
MIIBrDCCAVOgAwIBAgIUI8gi/zyT/9InMPPcDWIVuPRbpwIwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZWxzZXdoZXJlLmludmFsaWQwIBcNMjYxMjA0MDQ1NTQ5WhgP
MjEyNjExMTAwNDU1NDlaMBwxGjAYBgNVBAMMEWVsc2V3aGVyZS5pbnZhbGlkMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEg+R+2qUywCHNjcs0iGaE+hQr8Py+HIyZ
kHihWJS2qgRLlCrpBqsLF6nYkf72N+wcSArAlJ/RgJl5heLIcVcXsqNxMG8wHQYD
VR0OBBYEFCBqH+/xRoOtobMYY2VWpRyn1bAJMB8GA1UdIwQYMBaAFCBqH+/xRoOt
obMYY2VWpRyn1bAJMA8GA1UdEwEB/wQFMAMBAf8wHAYDVR0RBBUwE4IRZWxzZXdo
ZXJlLmludmFsaWQwCgYIKoZIzj0EAwIDRwAwRAIgMwr8i+Md77BFp/03ybBy5ApF
AF3mosA0InWMcFPoT7kCIGIgjP6TA2Q2zmFt1WtAgvf+sETgRhwDQWaAWYO8ViIB
-----END CERTIFICATE-----
"""
    static let elsewhereKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYpjmhVnEgmls6XAb
VhRKimOSiIW4Qmuqd0hWx7m3IduhRANCAASD5H7apTLAIc2NyzSIZoT6FCvw/L4c
jJmQeKFYlLaqBEuUKukGqwsXqdiR/vY37BxICsCUn9GAmXmF4shxVxey
-----END PRIVATE KEY-----
"""
}
