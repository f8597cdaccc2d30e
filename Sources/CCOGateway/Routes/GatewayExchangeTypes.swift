public import NIOCore
public import NIOHTTP1
import Synchronization

/// A client's request as the daemon's server read it: NIO's head, and its body read whole. The
/// gateway answers it in NIO's HTTP/1 types from end to end, with no conversion to another
/// header type and back (each is a copy of every field, with its name checked and lowercased).
///
/// The body is handed over once (``takeBody()``): the request lives until its answer has been
/// written, minutes for a stream, and its body (a Claude Code request is often hundreds of KB) is
/// let go of as soon as the gateway has it.
public final class ClientRequest: Sendable {
    public let head: HTTPRequestHead
    /// The target in origin form (`/v1/messages?beta=true`): as sent, or the path and query of an
    /// absolute one (`http://127.0.0.1:3000/v1/...`); nil for any other form (`*`).
    public let target: String?
    private let body: Mutex<ByteBuffer?>

    public init(head: HTTPRequestHead, body: ByteBuffer?) {
        self.head = head
        target = Self.originForm(of: head.uri)
        self.body = Mutex(body)
    }

    static func originForm(of uri: String) -> String? {
        if uri.utf8.first == UInt8(ascii: "/") { return uri }
        guard let colon = uri.firstIndex(of: ":"), uri[colon...].hasPrefix("://") else { return nil }
        let rest = uri[colon...].dropFirst(3)
        guard let path = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return rest[path] == "?" ? "/" + rest[path...] : String(rest[path...])
    }

    /// The body, once; nil when there was none, or when it has been taken.
    public func takeBody() -> ByteBuffer? {
        body.withLock { body in
            defer { body = nil }
            return body
        }
    }
}

/// The gateway's routes: the Messages API's calls, forwarded upstream.
public enum GatewayRoute: String, Sendable {
    case messages = "/v1/messages"
    case countTokens = "/v1/messages/count_tokens"
    case models = "/v1/models"
    case model = "/v1/models/:id"

    /// The route a request's method and target (origin form: `/v1/...?query`) go to, if any.
    /// Empty segments (a doubled or trailing `/`) are skipped, as Hummingbird's router skips them.
    public init?(method: HTTPMethod, target: String) {
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        // What clients send, matched without splitting the path.
        switch (method, path) {
        case (.POST, "/v1/messages"): self = .messages
        case (.POST, "/v1/messages/count_tokens"): self = .countTokens
        case (.GET, "/v1/models"): self = .models
        default: self.init(method: method, segments: path.split(separator: "/"))
        }
    }

    private init?(method: HTTPMethod, segments: [Substring]) {
        guard segments.count >= 2, segments[0] == "v1" else { return nil }
        switch (method, segments[1], segments.count) {
        case (.POST, "messages", 2): self = .messages
        case (.POST, "messages", 3) where segments[2] == "count_tokens": self = .countTokens
        case (.GET, "models", 2): self = .models
        case (.GET, "models", 3): self = .model
        default: return nil
        }
    }

    /// Whether identical calls may be answered from the response cache.
    var isCacheable: Bool { self == .messages || self == .countTokens }
}

/// The gateway's answer to a ``ClientRequest``, for the server to write: a whole body (with its
/// `content-length` among the headers), or a stream relayed from the upstream as it arrives.
public struct GatewayResponse: Sendable {
    public enum Body: Sendable {
        case whole(ByteBuffer)
        case stream(GatewayStream)
    }

    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public let body: Body
    /// Run by the server as soon as a whole answer has been written, before anything else is read
    /// from any connection (it runs on the serving loop, with no suspension between): the gateway
    /// records the upstream's answers here, off their way to the client, and a budget still counts
    /// a call before the client's next one is checked.
    public let whenWritten: (@Sendable () -> Void)?

    /// A whole answer: its length is added to `headers`, which have none.
    init(status: HTTPResponseStatus, headers: consuming HTTPHeaders, bytes: ByteBuffer, whenWritten: (@Sendable () -> Void)? = nil) {
        // Added while `headers` is this init's alone: added to `self.headers`, they were copied.
        headers.add(name: "content-length", value: String(bytes.readableBytes))
        self.status = status
        self.headers = consume headers
        body = .whole(bytes)
        self.whenWritten = whenWritten
    }

    init(status: HTTPResponseStatus, headers: HTTPHeaders, stream: GatewayStream) {
        self.status = status
        self.headers = headers
        body = .stream(stream)
        whenWritten = nil
    }
}

/// A streamed answer's body: ``relay()`` writes the upstream's events to the client's connection
/// as they come, and records the call when the stream ends. The call's upstream slot is held until
/// then, or until this is let go of unrelayed, which also cancels the upstream call.
public final class GatewayStream: Sendable {
    private let relayBody: @Sendable () async throws -> Void

    init(relay: @escaping @Sendable () async throws -> Void) {
        relayBody = relay
    }

    /// Returns once the stream has ended whole; throws what cut it short. The server writes the
    /// answer's end after it.
    public func relay() async throws {
        try await relayBody()
    }
}
