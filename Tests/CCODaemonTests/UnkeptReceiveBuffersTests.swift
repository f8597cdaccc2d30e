import NIOCore
import Testing
@testable import CCODaemon

/// A client connection's receive buffers, as NIO's channel pool hands them out (``UnkeptReceiveBuffers``).
@Suite struct UnkeptReceiveBuffersTests {
    /// Reads `bytes` (at most what the buffer holds) the way a socket channel does; the capacity of
    /// the buffer read into.
    static func read(_ bytes: Int, from pool: inout NIOPooledRecvBufferAllocator) -> Int {
        let (buffer, _) = pool.buffer(allocator: ByteBufferAllocator()) { buffer in
            buffer.writeRepeatingByte(0, count: min(bytes, buffer.writableBytes))
        }
        pool.record(actualReadBytes: buffer.readableBytes)
        return buffer.capacity
    }

    @Test func aLargeRequestLeavesNoLargeBufferOnTheConnection() {
        var pool = NIOPooledRecvBufferAllocator(capacity: 1, recvAllocator: UnkeptReceiveBuffers(minimum: 64, initial: 512, maximum: 16384))
        #expect(Self.read(300, from: &pool) == 512, "the first read, of a request head")
        // A body of hundreds of KB: reads grow to the maximum.
        let body = (0 ..< 20).map { _ in Self.read(1 << 20, from: &pool) }
        #expect(body.last == 16384)
        // Small requests after it are read into small buffers: the 16 KB one was not kept to read into again.
        let after = (0 ..< 12).map { _ in Self.read(200, from: &pool) }
        #expect(after.last! <= 1024, "capacities after the large body: \(after)")
        #expect(pool.count == 1, "only the first read's buffer is kept")
    }

    @Test func aFullReadStillMakesTheNextBufferLarger() {
        var pool = NIOPooledRecvBufferAllocator(capacity: 1, recvAllocator: UnkeptReceiveBuffers(minimum: 64, initial: 2048, maximum: 16384))
        #expect(Self.read(2048, from: &pool) == 2048)
        #expect(Self.read(1 << 20, from: &pool) > 2048, "a full read makes the next buffer larger")
    }
}
