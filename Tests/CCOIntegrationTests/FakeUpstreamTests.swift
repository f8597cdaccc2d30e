import Foundation
import NIOHTTP1
import Testing

/// The fake upstream answers its plainest calls as it reads them (Tests/FakeUpstream,
/// PlainMessages.swift), every benchmark call among them, and the rest through its router: the two
/// must answer alike, or the benchmarks would measure proxies against a fake the tests do not know.
@Suite struct FakeUpstreamTests {
    static let body = #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Summarise Hamlet."}]}"#

    /// The fields whose values differ from one answer to the next.
    static let ownToEachAnswer: Set<String> = ["request-id", "anthropic-ratelimit-unified-5h-utilization", "date"]

    @Test func aPlainCallIsAnsweredAsItsRouterAnswersTheSameCall() async throws {
        let fake = try FakeUpstream()
        let plain = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: Self.body)
        // A steering header of no effect sends the same call through the router.
        let routed = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: Self.body,
                                         headers: [("x-api-key", "sk-test-key"), ("x-fake-delay-ms", "0")])
        #expect(plain.status == 200)
        #expect(routed.status == 200)
        #expect(plain.text == routed.text)
        #expect(plain.json["usage"] as? [String: Int] == ["input_tokens": 101, "output_tokens": 64, "cache_read_input_tokens": 5,
                                                          "cache_creation_input_tokens": 3])
        #expect(Set(plain.headers.keys) == Set(routed.headers.keys))
        #expect(plain.headers.filter { !Self.ownToEachAnswer.contains($0.key) } == routed.headers.filter { !Self.ownToEachAnswer.contains($0.key) })
        #expect(plain.headers["request-id"] == "req_fake_1")
        #expect(routed.headers["request-id"] == "req_fake_2")
        #expect(try fake.counts().lastHeaders["x-fake-delay-ms"] == "0")

        // The same body again, then another: each answered for its own body, and counted.
        let again = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: Self.body)
        let other = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages",
                                        body: #"{"max_tokens":7,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"#)
        #expect(again.text == plain.text)
        #expect(other.json["model"] as? String == "claude-sonnet-4-5-20250929")
        #expect(other.json["usage"] as? [String: Int] == ["input_tokens": 102, "output_tokens": 7, "cache_read_input_tokens": 5,
                                                          "cache_creation_input_tokens": 3])
        let counts = try fake.counts()
        #expect(counts.messages == 4)
        #expect(counts.lastHeaders["x-fake-delay-ms"] == nil)
        #expect(counts.lastHeaders["x-api-key"] == "sk-test-key")
    }

    @Test func callsThePlainPathCannotAnswerGoToTheRouter() async throws {
        let fake = try FakeUpstream()
        let overloaded = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: #"{"model":"fail-529","messages":[]}"#)
        #expect(overloaded.status == 529)
        let unauthorized = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: Self.body, headers: [])
        #expect(unauthorized.status == 401)
        let notJSON = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: "{")
        #expect(notJSON.status == 400)
        let stream = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: HTTP.streamBody)
        #expect(stream.headers["content-type"] == "text/event-stream")
        #expect(stream.text.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
        // A parameter in the text steers the router's answer: two deltas, not five.
        let twoEvents = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages",
                                            body: #"{"stream":true,"messages":[{"role":"user","content":"fake-events=2"}]}"#)
        #expect(twoEvents.text.components(separatedBy: "event: content_block_delta").count == 3)
        // And a plain call after them all is still answered.
        let plain = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: Self.body)
        #expect(plain.status == 200)
        #expect(try fake.counts().messages == 6)
    }
}
