#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

extension StandaloneSupervisor {
    /// Replaces the running daemon without closing its listening socket: starts a new `cco-daemon`
    /// that takes the socket over (``DaemonArguments/takeOverFlag``); once the new one serves, the
    /// old one stops accepting, finishes its requests and exits. No connection is refused in between.
    /// When no running daemon offers its socket (none runs, or it was not started by
    /// `cco daemon start`), it stops and starts instead.
    ///
    /// - Throws: ``DaemonError`` when the new daemon fails; the running one then goes on serving.
    ///
    /// Without `--host`/`--port` it keeps those the running daemon was started with, so a daemon
    /// started with `--port 3111` stays on 3111; one started from the config alone takes the
    /// config's address, changed or not.
    public func restart(_ request: StartRequest) throws(DaemonError) -> RestartOutcome {
        var request = request
        if request.overrides.isEmpty, case .running(let running) = DaemonStatus.read(paths), let kept = running.overrides {
            request.overrides = kept
        }
        if let handover = try handOver(request) { return .handedOver(handover) }
        let stopped = try stop(timeout: min(request.timeout, .seconds(10)))
        return .stoppedAndStarted(stopped, try start(request))
    }

    private func handOver(_ request: StartRequest) throws(DaemonError) -> HandoverReport? {
        let clock = ContinuousClock()
        let began = clock.now
        guard FileSystem.exists(paths.stateDirectory) else { return nil }
        let control = try controlLock(timeout: request.timeout)
        defer { control.unlock() }
        guard case .running(let previous) = DaemonStatus.read(paths), FileSystem.exists(paths.handoffSocket),
              let previousIdentity = ProcessIdentity.of(pid: previous.pid) else { return nil }
        try checkConfig(request.overrides)
        let spawned: SpawnOutcome
        do throws(DaemonError) {
            spawned = try spawnAndAwaitReady(DaemonArguments(overrides: request.overrides, takesOver: true), began: began, timeout: request.timeout)
        } catch {
            throw DaemonError(error.code, error.detail + "\n  the running daemon (pid \(previous.pid)) goes on serving")
        }
        guard case .ready(let pid) = spawned else {
            throw DaemonError(.startFailed, "the new daemon found another one running; the running daemon (pid \(previous.pid)) goes on serving")
        }
        // The new daemon accepts from here; the previous one has stopped accepting and drains.
        let served = clock.now
        let record = try healthyRecord(of: pid)
        var killed = false
        if !ExitWait.process(previousIdentity, timeout: drainTimeout + .seconds(5)) {
            system_kill(previous.pid, SIGKILL)
            killed = ExitWait.process(previousIdentity, timeout: .seconds(5))
        }
        let drained = clock.now - served
        // The new daemon takes the daemon lock once the previous one is gone.
        let deadline = clock.now + .seconds(5)
        while clock.now < deadline, FileLock.holder(of: paths.lockFile) != pid { sleepFor(.milliseconds(2)) }
        return HandoverReport(previousPID: previous.pid, previousAddress: previous.baseURL, record: record,
                              elapsed: served - began, drained: drained, killed: killed)
    }
}
