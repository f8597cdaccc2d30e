/// Room for a request's task's async frames, set aside in one block as the task starts.
///
/// Swift's task allocator hands out a task's frames from slabs of 1000 bytes, starts a new slab
/// when the next frame does not fit what is left of the current one, and keeps every slab until
/// the task ends. A request's task ends when its answer has been written, minutes later for a
/// stream, and its deepest point (the router and the gateway: about 7 KB of frames) left it holding
/// several slabs, partly empty, depending on how the frames happened to fall.
///
/// `reserve()` has a frame of `bytes` and returns at once. Its frame, freed, stays the task's next
/// slab, empty; a frame that does not fit the current slab is taken from that next slab when it
/// fits there, so the frames that follow are laid end to end in it. A call deeper than the block
/// still gets slabs of its own, as before.
enum RequestTaskFrames {
    static let bytes = MemoryLayout<Room>.size
    typealias Room = InlineArray<1024, UInt64>

    /// Sets the block aside on the current task's allocator, and returns its address. Call it
    /// first in the task, so that nothing else is allocated on the task in between.
    @inline(never)
    @discardableResult
    static func reserve() async -> UInt {
        var room = Room(repeating: 0)
        // Its address is taken on both sides of an await, so the room is kept in this frame.
        let start = address(of: &room)
        // An await that allocates no frame of its own: a callee's frame would not fit the block,
        // and would take a slab of its own after it.
        await withUnsafeContinuation { $0.resume() }
        return min(start, address(of: &room))
    }

    private static func address(of room: inout Room) -> UInt {
        withUnsafeMutablePointer(to: &room) { UInt(bitPattern: $0) }
    }
}
