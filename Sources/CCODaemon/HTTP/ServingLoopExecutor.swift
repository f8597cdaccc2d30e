import NIOCore

/// Runs a connection's task on the serving loop, the thread that reads its requests and writes its
/// responses, so that handling a request moves to no other thread and back.
final class ServingLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
