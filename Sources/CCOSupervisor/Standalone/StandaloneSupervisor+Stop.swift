#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import SystemPackage

extension StandaloneSupervisor {
    /// Stops the daemon, and any daemon a restart replaced that is still finishing its requests:
    /// SIGTERM, then SIGKILL for those still running after `timeout`, and says what they had in
    /// progress then. Only the process that holds the daemon lock, or one whose drain record
    /// (``DrainRecords``) matches the running process, is ever signalled: a PID file naming another
    /// process is harmless.
    public func stop(timeout: Duration) throws(DaemonError) -> StopOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        let notRunning = StopOutcome.notRunning(service: nil, state: nil)
        guard FileSystem.exists(paths.stateDirectory) else { return notRunning }
        let control = try controlLock(timeout: timeout + .seconds(5))
        defer { control.unlock() }

        let status = DaemonStatus.read(paths)
        let records = DrainRecords(paths: paths)
        let finishing = records.live()
        switch status {
        case .notRunning where finishing.isEmpty:
            return notRunning
        case .stale(let record) where finishing.isEmpty:
            try removeStalePIDFile()
            return .removedStalePIDFile(record)
        case .stale:
            try removeStalePIDFile()
        case .running, .starting, .notRunning:
            break
        }
        var targets: [ProcessIdentity] = []
        if let pid = status.livePID, let identity = ProcessIdentity.of(pid: pid) { targets.append(identity) }
        for record in finishing where !targets.contains(where: { $0.pid == record.pid }) {
            if let identity = ProcessIdentity.of(pid: record.pid), record.matches(identity) { targets.append(identity) }
        }
        guard let first = targets.first else { return notRunning }
        for target in targets {
            guard system_kill(target.pid, SIGTERM) == 0 || errno == ESRCH else {
                throw DaemonError(.stopFailed, "cannot signal the daemon (pid \(target.pid)): \(Errno(rawValue: errno)); it runs as another user")
            }
        }
        let deadline = clock.now + timeout
        let running = targets.filter { !ExitWait.process($0, timeout: max(.zero, deadline - clock.now)) }
        if running.isEmpty {
            return .stopped(service: nil, pid: first.pid, elapsed: clock.now - began, killedAfter: nil)
        }
        // What they still had in progress, as they last recorded it, is what SIGKILL cuts.
        var cut = RequestsInProgress()
        for target in running {
            if let record = records.record(of: target.pid) { cut = cut + record.counts }
            system_kill(target.pid, SIGKILL)
        }
        for target in running {
            guard ExitWait.process(target, timeout: .seconds(5)) else {
                throw DaemonError(.stopFailed, "the daemon (pid \(target.pid)) did not exit after SIGKILL")
            }
            // A killed daemon cannot remove its own files.
            records.remove(pid: target.pid)
            if let record = try? PIDFile(path: paths.pidFile).read(), record.pid == target.pid {
                try? PIDFile(path: paths.pidFile).remove()
            }
        }
        return .stopped(service: nil, pid: first.pid, elapsed: clock.now - began, killedAfter: timeout, cut: cut)
    }
}
