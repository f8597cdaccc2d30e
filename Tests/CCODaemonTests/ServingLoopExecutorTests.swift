import Dispatch
import NIOCore
import NIOPosix
import Testing
@testable import CCODaemon

/// A connection's task runs on the serving loop (``ServingLoopExecutor``), and leaves it only for
/// work asked to run elsewhere (the gateway's check of a large body).
@Suite struct ServingLoopExecutorTests {
    @Test func aTaskPreferringTheLoopRunsOnItBeforeAndAfterEachAwait() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let seen = await Task(executorPreference: ServingLoopExecutor(loop: loop)) {
            var seen = [loop.inEventLoop]
            try? await Task.sleep(for: .milliseconds(2))
            seen.append(loop.inEventLoop)
            // A continuation resumed from another thread brings the task back to the loop.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume() }
            }
            seen.append(loop.inEventLoop)
            return seen
        }.value
        #expect(seen == [true, true, true])
        try await group.shutdownGracefully()
    }

    @Test func workPreferringSwiftsOwnThreadsRunsOffTheLoopThenTheTaskComesBack() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let seen = await Task(executorPreference: ServingLoopExecutor(loop: loop)) {
            let elsewhere = await withTaskExecutorPreference(globalConcurrentExecutor) { loop.inEventLoop }
            return [elsewhere, loop.inEventLoop]
        }.value
        #expect(seen == [false, true])
        try await group.shutdownGracefully()
    }
}
