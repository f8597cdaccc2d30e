import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import CCOCore

/// The `FakeUpstream` executable (Tests/FakeUpstream) on a free loopback port: a real HTTP server
/// that answers like the Messages API and counts the calls it gets.
final class FakeUpstream {
    static let executable: String = {
        URL(fileURLWithPath: CCOProcess.executable).deletingLastPathComponent().appendingPathComponent("FakeUpstream").path
    }()

    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        var port: Int?
        let deadline = ContinuousClock().now + .seconds(10)
        while port == nil, ContinuousClock().now < deadline {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let range = seen.range(of: "listening on ") {
                port = Int(seen[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let port else {
            process.terminate()
            throw TestFailure("the fake upstream did not start: \(seen)")
        }
        self.port = port
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// The calls it has answered, by route, the headers of the last one, how many connections its
    /// /v1/messages calls came on, the bytes of stream events it has written, and the calls whose
    /// connection it closed without an answer (`x-fake-drop`).
    func counts() throws -> (messages: Int, countTokens: Int, models: Int, lastHeaders: [String: String], connections: Int, streamBytes: Int,
                             dropped: Int) {
        guard case .success(let reply) = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/_counts"),
              let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any] else {
            throw TestFailure("the fake upstream does not answer /_counts")
        }
        return (object["messages"] as? Int ?? -1, object["count_tokens"] as? Int ?? -1, object["models"] as? Int ?? -1,
                object["last_headers"] as? [String: String] ?? [:], object["connections"] as? Int ?? -1, object["stream_bytes"] as? Int ?? -1,
                object["dropped"] as? Int ?? -1)
    }

    /// What became of a stream held with `x-fake-hold: id`: "holding", "released", "timed out" or nil.
    func hold(_ id: String) throws -> String? {
        try holds()[id]
    }

    /// Every held stream's state, by its id.
    func holds() throws -> [String: String] {
        guard case .success(let reply) = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/_holds"),
              let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: String] else {
            throw TestFailure("the fake upstream does not answer /_holds")
        }
        return object
    }

    /// How many held streams are waiting for their release at this moment (0 when `/_holds` cannot be read).
    func holdingCount() -> Int {
        (try? holds().values.filter { $0 == "holding" }.count) ?? 0
    }

    /// Lets a held stream send its last event.
    func release(_ id: String) async throws {
        let reply = try await HTTP.send(.POST, port: port, path: "/_release/\(id)")
        guard reply.status == 200 else { throw TestFailure("the fake upstream refused to release \(id): \(reply.status)") }
    }
}

/// One HTTP answer, read whole.
struct HTTPReply {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var cache: String? { headers["x-cco-cache"] }
}

enum HTTP {
    static func send(_ method: HTTPMethod, port: Int, path: String, body: String? = nil,
                     headers: [(String, String)] = [("x-api-key", "sk-test-key"), ("anthropic-version", "2023-06-01")],
                     host: String = "127.0.0.1") async throws -> HTTPReply {
        var request = HTTPClientRequest(url: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for (name, value) in response.headers { fields[name.lowercased()] = value }
        return HTTPReply(status: Int(response.status.code), headers: fields, body: Array(buffer: bytes))
    }

    /// A streamed Messages request.
    static let streamBody = #"{"model":"claude-sonnet-4-5","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    /// A streamed `POST /v1/messages` to the gateway on `port`, with an API key and `headers` (the
    /// fake upstream's `x-fake-*` steering), for a test that reads the answer as it comes.
    static func streamRequest(port: Int, body: String = streamBody, _ headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/messages")
        request.method = .POST
        request.headers.add(name: "x-api-key", value: "sk-test-key")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    /// A call sent at once on the client's event loop, before this returns: the test's tasks need
    /// no thread of the (core-count wide) concurrency pool to get it going, which tests blocking
    /// their threads on processes elsewhere in the suite may hold for a while.
    struct Started {
        let future: EventLoopFuture<HTTPClient.Response>

        /// The answer, read whole.
        func reply() async throws -> (status: Int, text: String) {
            let response = try await future.get()
            return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "")
        }
    }

    /// A stream through `port` that the fake upstream holds before its last event until the test
    /// releases `id`, sent at once (see ``Started``).
    static func startHeldStream(_ client: HTTPClient, port: Int, id: String, headers: [(String, String)] = [("x-api-key", "sk-test-key")],
                                body: String = streamBody) throws -> Started {
        let request = try HTTPClient.Request(url: "http://127.0.0.1:\(port)/v1/messages", method: .POST,
                                             headers: HTTPHeaders(headers + [("x-fake-hold", id), ("content-type", "application/json")]),
                                             body: .string(body))
        return Started(future: client.execute(request: request, deadline: .now() + .seconds(120)))
    }

    static func message(port: Int, maxTokens: Int = 16, text: String = "hello", stream: Bool = false, model: String = "claude-sonnet-4-5-20250929",
                        headers: [(String, String)] = [("x-api-key", "sk-test-key"), ("anthropic-version", "2023-06-01")]) async throws -> HTTPReply {
        let body = #"{"model":"\#(model)","max_tokens":\#(maxTokens),"stream":\#(stream),"messages":[{"role":"user","content":"\#(text)"}]}"#
        return try await send(.POST, port: port, path: "/v1/messages", body: body, headers: headers)
    }
}

extension CCOProcess {
    /// Writes `config.toml` with the gateway pointed at `upstream` plus `extra` lines.
    func configure(upstream: String, _ extra: String = "") throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try "upstream_url = \"\(upstream)\"\n\(extra)\n".write(toFile: paths.configFile, atomically: true, encoding: .utf8)
    }
}

/// A client of its own with `connections` per host: the shared one pools 8, as cco's once did.
func withHTTPClient(connections: Int, _ body: (HTTPClient) async throws -> Void) async throws {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    do {
        try await body(client)
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
}
