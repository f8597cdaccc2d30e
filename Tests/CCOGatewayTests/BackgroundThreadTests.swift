#if os(Linux)
import Glibc
import NIOPosix
import Testing
@testable import CCOGateway

@Suite struct BackgroundThreadTests {
    static func nice() -> CInt { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    /// The analytics writer's batches run here so that they give way to a call that needs the
    /// core: the thread runs at nice 19, and only it (the pool's threads keep the process's nice).
    @Test func workRunsAtTheLowestPriorityOnItsOwnThread() async throws {
        let (thread, lowered) = await BackgroundThread.start()
        #expect(throws: Never.self) { try lowered.get() }
        let nice = try await thread.run { Self.nice() }
        #expect(nice == 19)
        let second = try await thread.run { Self.nice() }
        #expect(second == 19, "every piece of work runs on the one lowered thread")
        let elsewhere = try await NIOThreadPool.singleton.runIfActive { Self.nice() }
        #expect(elsewhere == Self.nice(), "the other threads keep the nice value they had")
        await thread.stop()
        await #expect(throws: (any Error).self, "a stopped thread takes no more work") { _ = try await thread.run { 1 } }
    }

    /// A batch gives way between its statements for its first 2 ms only, then runs on to its end.
    @Test func aBatchGivesWayOnlyWithinItsFirstTwoMilliseconds() {
        let start = ContinuousClock.now
        let courtesy = BackgroundThread.Courtesy(startingAt: start)
        let elapsed: [Duration] = [.zero, .microseconds(500), .microseconds(1999), .milliseconds(2), .milliseconds(3), .seconds(1)]
        #expect(elapsed.filter { courtesy.givesWay(at: start + $0) } == [.zero, .microseconds(500), .microseconds(1999)],
                "at 0, 0.5 and 1.999 ms; not at 2 ms or after")
    }
}
#endif
