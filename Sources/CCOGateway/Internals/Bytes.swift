#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

// The module's uses of raw memory: a message head's pieces copied into a buffer's writable bytes
// (`ByteBuffer.writeString` checks the buffer's capacity, uniqueness and indices at every call,
// ~300 instructions for two bytes; a head of 14 fields is 60 such writes), and a byte looked for
// in a stream's read by the C library.

extension UnsafeRawBufferPointer {
    /// The offset of the first `byte` at or after `start`, found by `memchr` (which reads a word
    /// or a vector at a time); nil when there is none.
    func firstOffset(of byte: UInt8, from start: Int) -> Int? {
        guard start < count, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}

extension ByteBuffer {
    /// Writes `count` bytes, which `fill` appends to the writer it is given: one capacity check for
    /// them all. Appending more than `count` stops the process (no byte is written out of bounds);
    /// so does appending fewer.
    mutating func writeJoined(count: Int, _ fill: (inout JoinedBytes) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: count) { room in
            var joined = JoinedBytes(room: UnsafeMutableRawBufferPointer(rebasing: room[..<count]))
            fill(&joined)
            precondition(joined.written == count, "a message head's length was miscounted")
            return count
        }
    }
}

/// Bytes appended in place to room that ``ByteBuffer/writeJoined(count:_:)`` made for them.
struct JoinedBytes: ~Copyable {
    private let room: UnsafeMutableRawBufferPointer
    private(set) var written = 0

    fileprivate init(room: UnsafeMutableRawBufferPointer) {
        self.room = room
    }

    @inline(__always)
    mutating func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            append(UnsafeRawBufferPointer(bytes))
        }
        if done == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        if text.hasPointerRepresentation {
            append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } else {
            append(String(describing: text))
        }
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(written < room.count, "a message head's length was miscounted")
        room[written] = byte
        written += 1
    }

    /// `a` then `b`: a field's `: ` or a line's CRLF, stored rather than copied.
    @inline(__always)
    mutating func append(_ a: UInt8, _ b: UInt8) {
        precondition(written + 2 <= room.count, "a message head's length was miscounted")
        room[written] = a
        room[written + 1] = b
        written += 2
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(bytes.count <= room.count - written, "a message head's length was miscounted")
        room.baseAddress!.advanced(by: written).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        written += bytes.count
    }
}
