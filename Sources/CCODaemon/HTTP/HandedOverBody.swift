import NIOCore
import Synchronization

/// A request's body, read whole, that lets go of its bytes as they are read.
///
/// The request lives until its answer has been written: minutes, for a stream. A body held by it
/// (`RequestBody(buffer:)`) would keep a Claude Code request's hundreds of KB for all that time,
/// long after the gateway has sent them upstream and dropped its own reference. Read once, as
/// every route reads a body; a second read finds it empty.
final class HandedOverBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    private let bytes: Mutex<ByteBuffer?>

    init(_ bytes: ByteBuffer) {
        self.bytes = Mutex(bytes)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: HandedOverBody

        mutating func next() async -> ByteBuffer? {
            body.bytes.withLock { bytes in
                defer { bytes = nil }
                return bytes
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self)
    }
}
