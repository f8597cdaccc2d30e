import Testing
@testable import CCODaemon

/// Where a task's async frames go after ``RequestTaskFrames/reserve()``, against where they go
/// without it.
@Suite struct RequestTaskFramesTests {
    /// One frame of `descend`: room for 64 words, kept across the await below it.
    typealias Frame = InlineArray<64, UInt64>

    /// The address of each frame of a call `levels` deep, shallowest first.
    @inline(never)
    static func descend(levels: Int, into addresses: inout [UInt]) async {
        var frame = Frame(repeating: 0)
        let index = addresses.count
        addresses.append(address(of: &frame))
        if levels > 1 {
            await descend(levels: levels - 1, into: &addresses)
        } else {
            await withUnsafeContinuation { $0.resume() }
        }
        // Taken on both sides of an await, so the room is in the task's frame, not on the thread's stack.
        addresses[index] = min(addresses[index], address(of: &frame))
    }

    static func address(of frame: inout Frame) -> UInt {
        withUnsafeMutablePointer(to: &frame) { UInt(bitPattern: $0) }
    }

    /// From one frame to the next, in bytes.
    static func strides(_ addresses: [UInt]) -> [Int] {
        zip(addresses, addresses.dropFirst()).map { Int(bitPattern: $1 &- $0) }
    }

    @Test func framesAfterTheReservationAreLaidEndToEndInItsBlock() async {
        let levels = 6
        let (room, reserved) = await Task.detached {
            let room = await RequestTaskFrames.reserve()
            var addresses: [UInt] = []
            await Self.descend(levels: levels, into: &addresses)
            return (room, addresses)
        }.value
        let unreserved = await Task.detached {
            var addresses: [UInt] = []
            await Self.descend(levels: levels, into: &addresses)
            return addresses
        }.value

        // Without it, a frame of more than half a slab (1000 bytes) does not fit after another:
        // each takes a slab of its own, a malloc'd block away.
        let apart = Self.strides(unreserved)
        #expect(apart.contains { $0 < 0 || $0 > 1000 }, "frames \(apart) bytes apart without the reservation")

        // With it, the frames that do not fit in what is left of the task's current slab (all but
        // the first, at most) go in the block, each right after the one above it.
        let size = UInt(MemoryLayout<Frame>.size)
        let inBlock = reserved.filter { $0 >= room && $0 + size <= room + UInt(RequestTaskFrames.bytes) }
        #expect(inBlock.count >= levels - 1, "frames at \(reserved.map { Int(bitPattern: $0 &- room) }) from a block of \(RequestTaskFrames.bytes) bytes")
        let together = Self.strides(inBlock)
        #expect(together.allSatisfy { $0 == together[0] && $0 > Int(size) && $0 < 1000 }, "frames \(together) bytes apart in the block")
    }
}
