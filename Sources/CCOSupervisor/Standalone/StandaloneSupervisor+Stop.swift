#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import SystemPackage

extension StandaloneSupervisor {
    /// Stops the daemon: SIGTERM, then SIGKILL after `timeout`. Only the process that holds the
    /// daemon lock is ever signalled, so a PID file naming another process is harmless.
    public func stop(timeout: Duration) throws(DaemonError) -> StopOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        let notRunning = StopOutcome.notRunning(service: nil, state: nil)
        guard FileSystem.exists(paths.stateDirectory) else { return notRunning }
        let control = try controlLock(timeout: timeout + .seconds(5))
        defer { control.unlock() }

        let status = DaemonStatus.read(paths)
        switch status {
        case .notRunning:
            return notRunning
        case .stale(let record):
            try removeStalePIDFile()
            return .removedStalePIDFile(record)
        case .running, .starting:
            break
        }
        guard let pid = status.livePID, let identity = ProcessIdentity.of(pid: pid) else { return notRunning }
        guard system_kill(pid, SIGTERM) == 0 || errno == ESRCH else {
            throw DaemonError(.stopFailed, "cannot signal the daemon (pid \(pid)): \(Errno(rawValue: errno)); it runs as another user")
        }
        if ExitWait.process(identity, timeout: timeout) {
            return .stopped(service: nil, pid: pid, elapsed: clock.now - began, killedAfter: nil)
        }
        system_kill(pid, SIGKILL)
        guard ExitWait.process(identity, timeout: .seconds(5)) else {
            throw DaemonError(.stopFailed, "the daemon (pid \(pid)) did not exit after SIGKILL")
        }
        // A killed daemon cannot remove its own PID file.
        if let record = try? PIDFile(path: paths.pidFile).read(), record.pid == pid {
            try? PIDFile(path: paths.pidFile).remove()
        }
        return .stopped(service: nil, pid: pid, elapsed: clock.now - began, killedAfter: timeout)
    }
}
