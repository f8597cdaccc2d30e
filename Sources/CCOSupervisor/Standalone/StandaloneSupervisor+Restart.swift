#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

extension StandaloneSupervisor {
    /// Replaces the running daemon without closing its listening socket: starts a new `cco-daemon`
    /// that takes the socket over (``DaemonArguments/takeOverFlag``); once the new one serves, the
    /// old one stops accepting and finishes its requests in progress (streams of minutes included,
    /// up to its `drain_timeout`) while the new one serves everything new. Returns once the new one
    /// serves. No connection is refused and no request cut in between.
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
        // The new daemon accepts from here; the previous one has stopped accepting and recorded what
        // it still has in progress. With nothing, it exits within the idle grace of its keep-alive
        // connections; otherwise it finishes (up to drain_timeout) while this command returns.
        let served = clock.now
        let record = try healthyRecord(of: pid)
        let previousState = HandoverReport.Previous.observe(previousIdentity, in: paths)
        // The new daemon takes the daemon lock as the previous one lets it go.
        let deadline = clock.now + .seconds(5)
        while clock.now < deadline, FileLock.holder(of: paths.lockFile) != pid { sleepFor(.milliseconds(2)) }
        return HandoverReport(previousPID: previous.pid, previousAddress: previous.baseURL, record: record,
                              elapsed: served - began, previous: previousState)
    }
}

extension HandoverReport.Previous {
    /// What the daemon that just handed over does, standalone or in a unit: finishing what it
    /// recorded in `draining/`, or, with nothing in progress, exiting within a few seconds (the idle
    /// grace of its keep-alive connections).
    static func observe(_ identity: ProcessIdentity, in paths: CCOPaths) -> Self {
        let clock = ContinuousClock()
        let began = clock.now
        let records = DrainRecords(paths: paths)
        if let finishing = records.record(of: identity.pid), finishing.requests > 0 { return .finishing(finishing) }
        if ExitWait.process(identity, timeout: .seconds(3)) { return .exited(after: clock.now - began) }
        if let finishing = records.record(of: identity.pid), finishing.requests > 0 { return .finishing(finishing) }
        return .stillExiting
    }
}
