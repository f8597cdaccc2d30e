import Foundation
import CCOGateway
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import CCODaemon

/// The routes through Hummingbird's real router and responder, without a socket.
@Suite struct HealthRoutesTests {
    let state = ServingState()
    let identity = DaemonIdentity(pid: 4242, version: "9.9.9", startedAt: Date(timeIntervalSince1970: 1_764_000_000))

    func get(_ path: String, databaseProblem: String? = nil) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        let router = Router(context: ConnectionContext.self)
        HealthRoutes(identity: identity, state: state, databaseProblem: { databaseProblem }).register(on: router)
        let responder = router.buildResponder()
        let channel = EmbeddedChannel()
        let context = ConnectionContext(source: .init(channel: channel, logger: Logger(label: "test")))
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path),
            body: .init(buffer: ByteBuffer()))
        let response = try await responder.respond(to: request, context: context)
        var body = ByteBuffer()
        let writer = CollectingWriter()
        _ = try await response.body.write(writer)
        body = await writer.buffer
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    @Test func healthReportsStatusVersionPIDUptimeAndStart() async throws {
        let (status, json) = try await get("/health")
        #expect(status == .ok)
        #expect(json["status"] as? String == "ok")
        #expect(json["version"] as? String == "9.9.9")
        #expect(json["pid"] as? Int == 4242)
        #expect((json["uptime_s"] as? Double ?? -1) >= 0)
        #expect(json["started_at"] as? String == "2025-11-24T16:00:00Z")
        #expect(json["database"] as? String == "ok")
    }

    @Test func aDatabaseThatDoesNotAnswerMakesHealth503SoTheWatchdogStopsPinging() async throws {
        let (status, json) = try await get("/health", databaseProblem: "sqlite error 10: disk I/O error")
        #expect(status == .serviceUnavailable)
        #expect(json["status"] as? String == "unhealthy")
        #expect(json["database"] as? String == "sqlite error 10: disk I/O error")
    }

    @Test func readyIs503WhileStartingThen200ThenAgain503WhileStopping() async throws {
        #expect(try await get("/ready").status == .serviceUnavailable)
        #expect(try await get("/ready").json["status"] as? String == "starting")
        state.set(.serving)
        #expect(try await get("/ready").status == .ok)
        state.set(.stopping)
        let stopping = try await get("/ready")
        #expect(stopping.status == .serviceUnavailable)
        #expect(stopping.json["status"] as? String == "stopping")
    }
}

/// Collects a response body in memory.
actor CollectingWriter: ResponseBodyWriter {
    var buffer = ByteBuffer()
    func write(_ chunk: ByteBuffer) async throws {
        var chunk = chunk
        buffer.writeBuffer(&chunk)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
