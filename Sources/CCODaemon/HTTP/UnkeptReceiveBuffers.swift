import NIOCore

/// Receive buffers for a client connection that the connection does not keep between reads.
///
/// A channel keeps its last receive buffer to read into again (`NIOPooledRecvBufferAllocator`),
/// grown to the largest read it has made. After one Claude Code request of hundreds of KB that is
/// `maximum` bytes held by every open connection for as long as it stays open: hours, for the
/// connections Claude Code keeps. Given no size hint, and told each time that the next read may be
/// larger, the pool allocates every read's buffer afresh, sized as `AdaptiveRecvByteBufferAllocator`
/// would size it, and keeps only the connection's first, of `initial` bytes. A buffer then lives as
/// long as the bytes read into it are being handled.
struct UnkeptReceiveBuffers: RecvByteBufferAllocator {
    private var sizes: AdaptiveRecvByteBufferAllocator

    init(minimum: Int, initial: Int, maximum: Int) {
        sizes = AdaptiveRecvByteBufferAllocator(minimum: minimum, initial: initial, maximum: maximum)
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        sizes.buffer(allocator: allocator)
    }

    func nextBufferSize() -> Int? {
        nil
    }

    mutating func record(actualReadBytes: Int) -> Bool {
        _ = sizes.record(actualReadBytes: actualReadBytes)
        return true
    }
}
