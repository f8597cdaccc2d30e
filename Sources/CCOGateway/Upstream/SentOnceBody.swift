import AsyncHTTPClient
import NIOCore
import Synchronization

/// A request body the upstream client sends once and then lets go of.
///
/// async-http-client keeps a request, and its body with it, until the answer has been read whole:
/// for a Claude Code stream that is minutes, and its request (the conversation so far, the system
/// prompt, the tools) is tens to hundreds of KB. Handed over as a stream that gives its buffer up
/// as it is written, the body is freed as soon as it has been sent.
final class SentOnceBody: Sendable {
    private let buffer: Mutex<ByteBuffer?>
    let length: Int

    init(_ buffer: ByteBuffer) {
        length = buffer.readableBytes
        self.buffer = Mutex(buffer)
    }

    /// The bytes, the first time; nothing after.
    func take() -> ByteBuffer? {
        buffer.withLock { buffer in
            defer { buffer = nil }
            return buffer
        }
    }

    /// As a request body of its length. Asked for a second time it has nothing to give, and the
    /// client reports the body as shorter than its length.
    var body: HTTPClient.Body {
        .stream(contentLength: Int64(length)) { writer in
            writer.write(.byteBuffer(self.take() ?? ByteBuffer()))
        }
    }
}
