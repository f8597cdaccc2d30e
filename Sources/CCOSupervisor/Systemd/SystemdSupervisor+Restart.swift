#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
internal import CCOSystemd

extension SystemdSupervisor {
    /// `cco daemon restart` of a running unit whose daemon offers `handoff.sock`: SIGUSR2 to the
    /// main process, which starts its successor inside the unit; the successor takes the listener
    /// over, and the old one moves the unit's main pid to it (`MAINPID=`). Old and new overlap as in a
    /// standalone restart: no stop is waited for, and the old one finishes its streams (up to
    /// `drain_timeout`) while the new one serves. `systemctl --user restart` stays stop-then-start.
    ///
    /// - Returns: nil when the unit does not run such a daemon (then `RestartUnit` is used).
    /// - Throws: ``DaemonError`` when the successor did not take over in `timeout`; the running
    ///   daemon goes on serving.
    func overlappingRestart(timeout: Duration) throws(DaemonError) -> RestartOutcome? {
        let clock = ContinuousClock()
        let began = clock.now
        let before = try onBus { try $0.status(of: unitName) }
        guard before.activeState == .active, before.mainPID > 0, FileSystem.exists(paths.handoffSocket),
              let previous = try? PIDFile(path: paths.pidFile).read(), previous.pid == Int32(before.mainPID),
              let previousIdentity = ProcessIdentity.of(pid: previous.pid), previous.matches(previousIdentity) else { return nil }
        do {
            _ = try ConfigFile(path: paths.configFile).load()
        } catch {
            throw DaemonError(.config, error.description + "\n  the running daemon (pid \(previous.pid)) goes on serving")
        }
        guard system_kill(previous.pid, SIGUSR2) == 0 else { return nil }
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let now = try onBus { try $0.status(of: unitName) }
            let pid = Int32(now.mainPID)
            if pid > 0, pid != previous.pid, now.activeState.isRunning,
               let record = try? PIDFile(path: paths.pidFile).read(), record.pid == pid {
                let served = clock.now
                let state = HandoverReport.Previous.observe(previousIdentity, in: paths)
                return .handedOver(HandoverReport(previousPID: previous.pid, previousAddress: previous.baseURL, record: record,
                                                  elapsed: served - began, previous: state))
            }
            if now.activeState.isStopped {
                throw DaemonError(.startFailed, "\(unitName) stopped during the restart (\(now.activeState)); see `cco daemon logs`")
            }
            sleepFor(.milliseconds(5))
        }
        throw DaemonError(.startFailed, "the new daemon did not take over within \(timeout); the running daemon (pid \(previous.pid)) goes on serving; see `cco daemon logs`")
    }
}
