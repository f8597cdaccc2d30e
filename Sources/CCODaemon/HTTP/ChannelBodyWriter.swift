import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Writes a streamed response's body straight to its connection's channel, after a head written
/// there unflushed: the head leaves with the first part, in one write, rather than alone (or in
/// the flush the server queues behind it, when the body waits before its first part).
/// Each part waits until it is in the socket (or the channel has failed), as the connection's
/// own writer would.
struct ChannelBodyWriter: ResponseBodyWriter {
    let channel: any Channel

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer))).get()
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await channel.writeAndFlush(HTTPServerResponsePart.end(trailingHeaders.map(HTTPHeaders.init))).get()
    }
}
