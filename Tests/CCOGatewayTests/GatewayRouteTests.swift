import HTTPTypes
import NIOCore
import NIOHTTP1
import Testing
@testable import CCOGateway

/// Which requests the gateway answers (the server answers the rest with its router).
@Suite struct GatewayRouteTests {
    @Test(arguments: [
        (HTTPMethod.POST, "/v1/messages", GatewayRoute.messages), (.POST, "/v1/messages?beta=true", .messages),
        (.POST, "/v1/messages/count_tokens", .countTokens), (.POST, "/v1/messages/count_tokens?beta=true", .countTokens),
        (.GET, "/v1/models", .models), (.GET, "/v1/models?limit=5", .models),
        (.GET, "/v1/models/claude-sonnet-4-5", .model), (.GET, "/v1/models/claude-sonnet-4-5?beta=true", .model),
        // Empty segments skipped, as Hummingbird's router did.
        (.POST, "/v1/messages/", .messages), (.POST, "//v1//messages?beta=true", .messages), (.GET, "/v1/models/", .models),
        (.POST, "/v1/messages/count_tokens/", .countTokens),
    ])
    func theMessagesAPIsCallsAreTheGateways(method: HTTPMethod, target: String, route: GatewayRoute) {
        #expect(GatewayRoute(method: method, target: target) == route)
    }

    @Test(arguments: [
        (HTTPMethod.GET, "/v1/messages"), (.POST, "/v1/models"), (.PUT, "/v1/messages"), (.POST, "/v1/messagesx"),
        (.GET, "/v1/models/a/b"), (.POST, "/v1/messages/count_tokens/x"), (.GET, "/health"), (.GET, "/"),
        (.POST, "/api/reload"), (.GET, "/V1/MODELS"), (.POST, "/v2/messages"),
    ])
    func otherRequestsAreNot(method: HTTPMethod, target: String) {
        #expect(GatewayRoute(method: method, target: target) == nil)
    }

    @Test(arguments: [
        ("/v1/messages?beta=true", "/v1/messages?beta=true"), ("http://127.0.0.1:3000/v1/models/x?beta=true", "/v1/models/x?beta=true"),
        ("http://127.0.0.1:3000", "/"), ("http://127.0.0.1:3000?a=b", "/?a=b"), ("*", nil), ("127.0.0.1:3000", nil),
    ])
    func aTargetIsTakenInOriginForm(uri: String, target: String?) {
        #expect(ClientRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri), body: nil).target == target)
    }

    @Test func aGatewayErrorIsAnAnswerWithItsLengthAndTheAPIsErrorShape() {
        let answer = GatewayError.saturated(limit: 3).answer
        #expect(answer.status == .serviceUnavailable)
        guard case .whole(let bytes) = answer.body else { Issue.record("a whole answer"); return }
        #expect(answer.headers["content-length"] == [String(bytes.readableBytes)])
        #expect(answer.headers["content-type"] == ["application/json"])
        #expect(String(buffer: bytes).hasPrefix(#"{"error":{"message":"cco: 3 upstream calls are already in flight"#))
        #expect(GatewayError(status: .badRequest, type: "invalid_request_error", message: "m", doNotRetry: true).answer.headers["x-should-retry"] == ["false"])
    }
}
