#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOAnalytics
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// An error the gateway answers itself, in the Messages API's error shape, so that SDKs show it:
/// `{"type":"error","error":{"type":"api_error","message":"…"}}`.
struct GatewayError: Error, Sendable {
    let status: HTTPResponse.Status
    /// The API's error type: `invalid_request_error`, `request_too_large`, `api_error`, …
    let type: String
    let message: String
    /// Set on answers the client must not retry.
    var doNotRetry = false

    /// For a route of Hummingbird's router (the admin endpoints).
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if doNotRetry { headers[Self.shouldRetry] = "false" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// For the gateway's routes.
    var answer: GatewayResponse {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if doNotRetry { headers.add(name: Self.shouldRetry.rawName, value: "false") }
        return GatewayResponse(status: HTTPResponseStatus(statusCode: status.code), headers: headers, bytes: body)
    }

    private var body: ByteBuffer {
        struct Body: Encodable {
            struct Detail: Encodable {
                let type: String
                let message: String
            }
            let type = "error"
            let error: Detail
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(Body(error: .init(type: type, message: message)))) ?? Data("{}".utf8)
        return ByteBuffer(bytes: bytes)
    }

    /// The official SDKs retry 408, 409, 429 and 5xx unless this says `false`.
    static let shouldRetry = HTTPField.Name("x-should-retry")!

    /// A budget is spent. 400 `invalid_request_error`, as the API itself answers a call over an
    /// organization's or workspace's spend limit: no SDK retries it, Claude Code shows its message
    /// and stops the turn. (429 and 529 would be retried; 402 `billing_error` speaks of the
    /// account's payment.) `x-should-retry: false` says it once more.
    static func budgetSpent(_ refusal: BudgetRefusal) -> GatewayError {
        GatewayError(status: .badRequest, type: "invalid_request_error", message: refusal.message, doNotRetry: true)
    }

    static func badRequest(_ message: String) -> GatewayError {
        GatewayError(status: .badRequest, type: "invalid_request_error", message: message)
    }

    static func tooLarge(limit: Int) -> GatewayError {
        GatewayError(status: .contentTooLarge, type: "request_too_large",
                     message: "cco: the request body is larger than max_request_size (\(limit) bytes); raise it in config.toml")
    }

    static func unreachable(_ upstream: String, _ reason: String) -> GatewayError {
        GatewayError(status: .badGateway, type: "api_error", message: "cco: cannot reach the upstream \(upstream): \(reason)")
    }

    /// Every upstream connection is taken by a call in flight. 503 with `overloaded_error`: the SDKs
    /// and Claude Code retry it with backoff, as they do the API's own overload answer, and a slot
    /// frees as soon as any call in flight ends.
    static func saturated(limit: Int) -> GatewayError {
        GatewayError(status: .serviceUnavailable, type: "overloaded_error",
                     message: "cco: \(limit) upstream calls are already in flight (upstream_max_connections); retry when one ends, or raise upstream_max_connections in config.toml")
    }

    static func timedOut(_ upstream: String, seconds: Int) -> GatewayError {
        GatewayError(status: .gatewayTimeout, type: "api_error",
                     message: "cco: the upstream \(upstream) sent nothing for \(seconds) s (upstream_timeout)")
    }
}
