#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import NIOPosix
import SystemPackage

/// One thread for work no call waits on, at the lowest priority of normal scheduling: on Linux nice
/// 19 (the thread alone: Linux gives each thread its own), on macOS the thread's background class.
/// The analytics writer's batches and housekeeping run here, so that a write on the other core
/// gives way to a call that needs that core (on two busy cores, batches written at normal
/// priority added ~0.1 ms to the 99th percentile of the calls, docs/benchmarks.md). It is not
/// starved: at nice 19 it still gets ~1.5% of a core beside each busy thread at nice 0. Not
/// SCHED_IDLE: a query or a call's budget check waits for the writer's transaction, and an idle
/// thread holding it on a machine whose every core was busy left them waiting for seconds.
final class BackgroundThread: Sendable {
    private let pool = NIOThreadPool(numberOfThreads: 1)

    /// Starts the thread and lowers its priority; when the system refuses (a seccomp filter, say),
    /// the thread runs at normal priority and `lowered` says why.
    static func start() async -> (thread: BackgroundThread, lowered: Result<Void, Errno>) {
        let thread = BackgroundThread()
        thread.pool.start()
        do {
            return (thread, try await thread.pool.runIfActive { Self.lowerPriorityOfThisThread() })
        } catch {
            // The pool ran nothing: no thread was lowered.
            return (thread, .failure(.noSuchProcess))
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Lets other threads run between the steps of one piece of work on this thread (the writer's
    /// INSERT statements, of up to 16 rows each), for the first ``budget`` of it: a thread woken
    /// for a call (the server's, its client's, the upstream's) that the scheduler put on this core
    /// runs then, not when the transaction ends. Nice 19 alone did not do that: a batch (~0.8 ms
    /// for the 130 rows of 50 ms at 2,600 calls a second) kept its core, and the calls that waited
    /// for it made the 99th percentile at one connection 0.83 ms instead of 0.67
    /// (docs/benchmarks.md).
    ///
    /// Only at first: a yield that lets another thread run charges this one the rest of its time
    /// slice, worth many slices of a normal thread at nice 19, and on a machine whose cores were
    /// all busy, yielding at every row held a batch, and the query waiting for its lock, for
    /// seconds (`/api/stats` 5.6 and 30.5 s). A batch past its budget runs on to its end.
    struct Courtesy {
        static let budget: Duration = .milliseconds(2)
        private let until: ContinuousClock.Instant

        init(startingAt start: ContinuousClock.Instant = .now) {
            until = start + Courtesy.budget
        }

        /// Whether a step ending at `now` gives way: only within the budget.
        func givesWay(at now: ContinuousClock.Instant) -> Bool { now < until }

        /// Yields the core when another thread waits for it and the budget is not spent; with
        /// nothing else to run, returns at once.
        func giveWay() {
            if givesWay(at: .now) { system_sched_yield() }
        }
    }

    /// Waits for the work in progress, then ends the thread.
    func stop() async {
        try? await pool.shutdownGracefully()
    }

    private static func lowerPriorityOfThisThread() -> Result<Void, Errno> {
        SystemCall.check {
            #if os(Linux)
            // who 0: the calling thread alone.
            system_setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            #else
            system_setpriority(PRIO_DARWIN_THREAD, 0, PRIO_DARWIN_BG)
            #endif
        }
    }
}
