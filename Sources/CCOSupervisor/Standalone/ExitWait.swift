public import CCOCore

/// Waiting for a daemon process to be gone.
enum ExitWait {
    /// True once the process is gone: no such pid, a zombie (exited, not yet reaped: PID 1 may take
    /// seconds to reap an orphan), or a later process reusing the pid.
    static func process(_ identity: ProcessIdentity, timeout: Duration) -> Bool {
        // Woken by the kernel at the exit, when the watch is on the same process (not a reused pid).
        if let watch = ProcessExitWatch(pid: identity.pid) {
            guard let now = ProcessIdentity.of(pid: identity.pid), now.startTime == identity.startTime, now.isAlive else { return true }
            return watch.wait(timeout: timeout)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.microseconds(500)
        while true {
            if let now = ProcessIdentity.of(pid: identity.pid) {
                if !now.isAlive || now.startTime != identity.startTime { return true }
            } else {
                return true
            }
            if clock.now >= deadline { return false }
            sleepFor(pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    /// The exit of our own child `pid`, reaped, or nil if it still runs after `timeout`.
    static func child(_ pid: Int32, timeout: Duration) -> ProcessSpawner.ChildExit? {
        let deadline = ContinuousClock().now + timeout
        while ContinuousClock().now < deadline {
            if let exit = ProcessSpawner.exitStatus(of: pid) { return exit }
            sleepFor(.milliseconds(5))
        }
        return nil
    }
}
