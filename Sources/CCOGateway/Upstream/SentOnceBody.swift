import AsyncHTTPClient
import NIOCore
import Synchronization

/// A request body the upstream client sends once and then lets go of.
///
/// async-http-client keeps a request, and a `.bytes` body with it, until the answer has been read
/// whole: for a Claude Code stream that is minutes, and its request (the conversation so far, the
/// system prompt, the tools) is tens to hundreds of KB. Handed over as a sequence that gives its
/// buffer up as it is read, the body is freed as soon as it has been written.
struct SentOnceBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    final class Storage: Sendable {
        let buffer: Mutex<ByteBuffer?>
        init(_ buffer: ByteBuffer) { self.buffer = Mutex(buffer) }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let storage: Storage
        mutating func next() async -> ByteBuffer? {
            storage.buffer.withLock { buffer in
                defer { buffer = nil }
                return buffer
            }
        }
    }

    let storage: Storage

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(storage: storage) }

    /// `buffer` as a request body of its length.
    static func body(_ buffer: ByteBuffer) -> HTTPClientRequest.Body {
        .stream(SentOnceBody(storage: Storage(buffer)), length: .known(Int64(buffer.readableBytes)))
    }
}
