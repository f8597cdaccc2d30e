import CCOCore
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the plainest `POST /v1/messages` (not a stream, no `x-fake-*` header, no parameter in
/// its text, a model that is not `fail-529`: every call of the latency benchmarks) as it is read,
/// on the event loop, with what the router's handler answers it; any other request goes on to the
/// router. Hummingbird's task for each request, its body's async sequence and Foundation's JSON
/// reader cost the fake ~440 k instructions a call, more than twice what the proxy it measures
/// spends, on the cores that proxy shares with it; a real upstream costs them nothing.
final class PlainMessages: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the fake reads of a plain call's body; any other shape is the router's.
    private struct Call: Decodable {
        struct Anything: Decodable {
            init(from decoder: any Decoder) throws {}
        }
        var model: String?
        var max_tokens: Int?
        var stream: Bool?
        var messages: [Anything]?
    }

    /// The request being read, when it may be answered here.
    private var plain: HTTPRequest?
    private var body = ByteBuffer()
    /// Requests handed to the router and not yet answered: until they are, every request goes
    /// there too, so that answers leave in the order their requests came.
    private var withRouter = 0
    private let date = HTTPDate()
    /// The last plain call's body and the answer's text, which depends on nothing else: a
    /// benchmark sends one body over and over, and Foundation's JSON coders took most of the
    /// fake's time on it.
    private var last: (body: ByteBuffer, text: String)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if withRouter == 0, Self.mayBePlain(request) {
                plain = request
                body.clear()
            } else {
                withRouter += 1
                context.fireChannelRead(data)
            }
        case .body(let part):
            if plain != nil { body.writeImmutableBuffer(part) } else { context.fireChannelRead(data) }
        case .end(let trailers):
            guard let request = plain else { return context.fireChannelRead(data) }
            plain = nil
            if let answer = answer(request, port: context.channel.remoteAddress?.port ?? 0) {
                context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
                context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                withRouter += 1
                context.fireChannelRead(wrapInboundOut(.head(request)))
                if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
                context.fireChannelRead(wrapInboundOut(.end(trailers)))
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's own answer to a request that never reached the router (a parse error's
        // 400) ends too: the count does not go below none.
        if case .end = unwrapOutboundIn(data) { withRouter = max(0, withRouter - 1) }
        context.write(data, promise: promise)
    }

    private static func mayBePlain(_ request: HTTPRequest) -> Bool {
        request.method == .post && request.path == "/v1/messages" && request.headerFields[.connection] == nil
            && authorized(request.headerFields) && !request.headerFields.contains { $0.name.canonicalName.hasPrefix("x-fake-") }
    }

    /// The router's answer to `request`, and its counts kept as the router keeps them; nil for a
    /// call the router must answer.
    private func answer(_ request: HTTPRequest, port: Int) -> (head: HTTPResponse, body: ByteBuffer)? {
        let text: String
        if let last, last.body == body {
            text = last.text
        } else {
            let data = Data(buffer: body, byteTransferStrategy: .noCopy)
            // A parameter in the text (`fake-delay-ms=N`): the router reads it.
            guard data.range(of: Data("fake-".utf8)) == nil, let call = try? JSONDecoder().decode(Call.self, from: data),
                  call.stream != true, call.model != "fail-529" else { return nil }
            text = jsonText(message(model: call.model ?? defaultModel, bodySize: body.readableBytes,
                                    usage: defaultUsage(messages: call.messages?.count ?? 0, maxTokens: call.max_tokens)))
            last = (body, text)
        }
        remember(request.headerFields)
        counts.withLock {
            $0.messages += 1
            $0.connections.insert(port)
        }
        var fields = answerHeaders("application/json")
        fields[.contentLength] = String(text.utf8.count)
        fields[.date] = date.now
        fields[.server] = "fake-upstream"
        return (HTTPResponse(status: .ok, headerFields: fields), ByteBuffer(string: text))
    }
}
