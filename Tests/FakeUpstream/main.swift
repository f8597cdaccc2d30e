// A stand-in for the Anthropic API on 127.0.0.1, for the gateway's tests and benchmarks: it speaks
// the Messages API's shapes (JSON messages, SSE streams, errors), with usage numbers a test can
// predict, and counts the calls it gets.
//
//   fake-upstream [--port N]      prints "listening on PORT" once bound
//
// Usage it reports for POST /v1/messages: input_tokens = 100 + number of messages,
// output_tokens = max_tokens (default 16), cache_read_input_tokens = 5, cache_creation_input_tokens = 3.
// Request body fields that steer it: "model": "fail-529" answers 529 overloaded; header
// x-fake-delay-ms: N waits N ms before answering (and between stream events); x-fake-events: N
// streams N text deltas (default 5), so that N × delay is a stream's length (both may also be given
// as fake-delay-ms=N and fake-events=N in the last message's text); x-fake-hold: ID
// holds a stream before its last event (message_stop) until POST /_release/ID, at most 20 s;
// x-fake-hold-first: ID holds it the same way after its head, before its first event.
// x-fake-usage: a JSON `usage` object replaces the usage above (a stream's message_start carries its
// input side with `cache_creation`, its message_delta the output, `server_tool_use` and the input
// side again without the split, as the API does); x-fake-cut: 1 breaks a stream's connection after
// its message_delta, without message_stop; x-fake-pad: N adds N bytes to each text delta. Every
// answer has its own request-id (req_fake_N) and anthropic-ratelimit-unified-* headers
// (5h-utilization = N/1000).
// GET /_holds says, for each ID, "holding", "released" or "timed out"; GET /_counts counts the calls
// by route, the connections /v1/messages calls came on, the calls dropped, and the bytes of stream
// events written.
import CCOCore
import Foundation
import Hummingbird
import NIOCore
import Synchronization

struct Counts: Sendable {
    var messages = 0
    var countTokens = 0
    var models = 0
    var lastHeaders: [String: String] = [:]
    var holds: [String: String] = [:]
    var answers = 0
    /// The client ports /v1/messages calls came from: one per connection.
    var connections: Set<Int> = []
    /// Bytes of stream events written so far, over all streams: how far the fake got ahead.
    var streamBytes = 0
    /// /v1/messages calls whose connection was closed without an answer (`x-fake-drop`).
    var dropped = 0
}

/// Hummingbird's basic context, plus the connection a request came on and its port.
struct FakeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    let clientPort: Int

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        clientPort = source.channel.remoteAddress?.port ?? 0
    }
}

let counts = Mutex(Counts())
/// The model a call that names none is answered as, and the one `/v1/models` lists.
let defaultModel = "claude-sonnet-4-5-20250929"
let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 0

/// Headers every answer carries: its own request-id and the unified rate-limit headers.
func answerHeaders(_ contentType: String) -> HTTPFields {
    let n = counts.withLock { counts -> Int in
        counts.answers += 1
        return counts.answers
    }
    return [.contentType: contentType, .init("request-id")!: "req_fake_\(n)",
            .init("anthropic-ratelimit-unified-status")!: "allowed",
            .init("anthropic-ratelimit-unified-5h-utilization")!: String(Double(n) / 1000),
            .init("anthropic-ratelimit-unified-5h-reset")!: "1796000000"]
}

func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: answerHeaders("application/json"), body: ResponseBody(byteBuffer: ByteBuffer(string: jsonText(object))))
}

/// `value`, one of the dictionaries the fake answers with, as JSON with sorted keys.
func jsonText(_ value: Any) -> String {
    jsonValue(value).encoded
}

/// The Swift values the fake builds (Int, Bool, String, dictionaries, arrays) by their exact type;
/// values parsed from a test's JSON (numbers as `NSNumber`, which a cast would take for a Bool) go
/// through Foundation's own writer and back. Foundation's writer for the whole answer sorted the
/// keys with ICU's collation and bridged every dictionary: it took most of the fake's CPU on a
/// call, on the cores the proxy it measures shares with it (a real upstream costs them nothing).
func jsonValue(_ value: Any) -> JSONValue {
    if type(of: value) == Int.self, let int = value as? Int { return .number(Double(int)) }
    if type(of: value) == Bool.self, let bool = value as? Bool { return .bool(bool) }
    if type(of: value) == String.self, let string = value as? String { return .string(string) }
    if let object = value as? [String: Any] { return .object(object.mapValues(jsonValue)) }
    if let array = value as? [Any] { return .array(array.map(jsonValue)) }
    let data = try! JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed)
    return try! JSONDecoder().decode(JSONValue.self, from: data)
}

struct Cut: Error {}
struct Dropped: Error {}

func error(_ type: String, _ message: String, status: HTTPResponse.Status) -> Response {
    json(["type": "error", "error": ["type": type, "message": message]], status: status)
}

func remember(_ request: Request) {
    remember(request.headers)
}

func remember(_ fields: HTTPFields) {
    var headers: [String: String] = [:]
    for field in fields { headers[field.name.canonicalName] = field.value }
    counts.withLock { $0.lastHeaders = headers }
}

/// A stream parameter from its header, or from `name=N` in the last message's text: a proxy that
/// does not pass the client's headers on (LiteLLM) still passes the body.
func parameter(_ name: String, _ request: Request, text: String) -> Int? {
    if let value = request.headers[.init("x-" + name)!].flatMap(Int.init) { return value }
    guard let range = text.range(of: name + "=") else { return nil }
    return Int(text[range.upperBound...].prefix { $0.isNumber })
}

func authorized(_ fields: HTTPFields) -> Bool {
    fields[.init("x-api-key")!] != nil || fields[.authorization]?.hasPrefix("Bearer ") == true
}

/// The answer to a call that is not a stream: its echo of the body's size, and the usage.
func message(model: String, bodySize: Int, usage: [String: Any]) -> [String: Any] {
    [
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": [["type": "text", "text": "echo of \(bodySize) bytes"]],
        "stop_reason": "end_turn", "usage": usage,
    ]
}

/// The usage the fake reports when a test gives none.
func defaultUsage(messages: Int, maxTokens: Int?) -> [String: Any] {
    ["input_tokens": 100 + messages, "output_tokens": maxTokens ?? 16, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 3]
}

/// Waits until the test releases `id`, or 20 s; records which.
func wait(for id: String) async throws {
    counts.withLock { $0.holds[id] = "holding" }
    let deadline = ContinuousClock.now + .seconds(20)
    while counts.withLock({ $0.holds[id] }) == "holding" {
        if ContinuousClock.now > deadline { counts.withLock { $0.holds[id] = "timed out" }; return }
        try await Task.sleep(for: .milliseconds(5))
    }
}

let router = Router(context: FakeContext.self)
router.post("/v1/messages") { request, context -> Response in
    remember(request)
    let drop = request.headers[.init("x-fake-drop")!]
    let dropped = counts.withLock { counts -> Bool in
        let reused = counts.connections.contains(context.clientPort)
        guard drop == "always" || (drop == "reused" && reused) else {
            counts.messages += 1
            counts.connections.insert(context.clientPort)
            return false
        }
        counts.dropped += 1
        return true
    }
    if dropped {
        try await context.channel.close()
        throw Dropped()
    }
    guard authorized(request.headers) else { return error("authentication_error", "x-api-key header is required", status: .unauthorized) }
    let body = try await request.body.collect(upTo: 64 << 20)
    guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
        return error("invalid_request_error", "body is not JSON", status: .badRequest)
    }
    let model = object["model"] as? String ?? defaultModel
    if model == "fail-529" { return error("overloaded_error", "Overloaded", status: .init(code: 529)) }
    let output = object["max_tokens"] as? Int ?? 16
    let text = ((object["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
    let pause = Duration.milliseconds(parameter("fake-delay-ms", request, text: text) ?? 0)
    // A pause of zero is none: `Task.sleep` would still wait for a timer on another thread.
    if pause > .zero { try await Task.sleep(for: pause) }
    let given = request.headers[.init("x-fake-usage")!].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let usage = given ?? defaultUsage(messages: (object["messages"] as? [Any])?.count ?? 0, maxTokens: output)
    let inputSide = usage.filter { ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "service_tier"].contains($0.key) }
    if object["stream"] as? Bool == true {
        let events = parameter("fake-events", request, text: text).map { min(max($0, 1), 100_000) } ?? 5
        let pad = String(repeating: "x", count: min(max(parameter("fake-pad", request, text: text) ?? 0, 0), 1 << 20))
        let words = (0 ..< events).map { "word\($0) " + pad }
        var headers = answerHeaders("text/event-stream")
        headers[.cacheControl] = "no-cache"
        let cut = request.headers[.init("x-fake-cut")!] == "1"
        var startUsage = inputSide.merging(["output_tokens": 1]) { _, new in new }
        if let split = usage["cache_creation"] { startUsage["cache_creation"] = split }
        var deltaUsage = given == nil ? ["output_tokens": output] : inputSide.merging(["output_tokens": usage["output_tokens"] ?? output]) { _, new in new }
        if let tools = usage["server_tool_use"] { deltaUsage["server_tool_use"] = tools }
        @Sendable func event(_ name: String, _ data: [String: Any]) -> String {
            "event: \(name)\ndata: \(jsonText(data))\n\n"
        }
        let start = event("message_start", ["type": "message_start", "message": [
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [], "usage": startUsage]])
        let delta = event("message_delta", ["type": "message_delta", "delta": ["stop_reason": "end_turn"], "usage": deltaUsage])
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // Every event is counted and followed by the pause.
            func emit(_ text: String) async throws {
                let bytes = ByteBuffer(string: text)
                try await writer.write(bytes)
                counts.withLock { $0.streamBytes += bytes.readableBytes }
                try await Task.sleep(for: pause)
            }
            if let hold = request.headers[.init("x-fake-hold-first")!] { try await wait(for: hold) }
            try await emit(start)
            try await emit(event("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]))
            for word in words {
                try await emit(event("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": word]]))
            }
            try await emit(event("content_block_stop", ["type": "content_block_stop", "index": 0]))
            try await emit(delta)
            if cut {
                // The delta reaches the gateway before the connection breaks: async-http-client
                // 1.37 fails a response at channelInactive without passing on body parts read in the
                // same batch, so a break at once would take the delta with it.
                try await Task.sleep(for: .milliseconds(100))
                throw Cut()
            }
            if let hold = request.headers[.init("x-fake-hold")!] { try await wait(for: hold) }
            try await emit(event("message_stop", ["type": "message_stop"]))
            try await writer.finish(nil)
        })
    }
    return json(message(model: model, bodySize: body.readableBytes, usage: usage))
}
router.post("/v1/messages/count_tokens") { request, _ -> Response in
    remember(request)
    counts.withLock { $0.countTokens += 1 }
    let body = try await request.body.collect(upTo: 64 << 20)
    return json(["input_tokens": 100 + body.readableBytes / 100])
}
router.get("/v1/models") { request, _ -> Response in
    remember(request)
    counts.withLock { $0.models += 1 }
    return json(["data": [["id": defaultModel, "type": "model", "display_name": "Claude Sonnet 4.5"]], "has_more": false])
}
router.get("/_counts") { _, _ -> Response in
    let c = counts.withLock { $0 }
    return json(["messages": c.messages, "count_tokens": c.countTokens, "models": c.models, "last_headers": c.lastHeaders,
                 "connections": c.connections.count, "stream_bytes": c.streamBytes, "dropped": c.dropped])
}

router.post("/_release/:id") { _, context -> Response in
    let id = context.parameters.get("id") ?? ""
    counts.withLock { if $0.holds[id] == "holding" { $0.holds[id] = "released" } }
    return json(["holds": counts.withLock { $0.holds }])
}
router.get("/_holds") { _, _ -> Response in
    json(counts.withLock { $0.holds })
}

let app = Application(
    router: router,
    server: .http1(configuration: .init(additionalChannelHandlers: [PlainMessages()])),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "fake-upstream"),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on \(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
