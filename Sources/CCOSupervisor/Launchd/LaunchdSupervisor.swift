#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

/// cco as a macOS LaunchAgent (``LaunchAgent``: the plist and launchctl). launchd has no readiness
/// protocol, so start and restart poll the daemon's `/health` with a deadline; the daemon logs to
/// `daemon.log` as it does standalone, and reloads through its own API.
public struct LaunchdSupervisor: DaemonSupervisor, Sendable {
    public let agent: LaunchAgent

    public init(agent: LaunchAgent) {
        self.agent = agent
    }

    public var kind: SupervisorKind { .launchd }
    var paths: CCOPaths { agent.paths }

    public func start(_ request: StartRequest) throws(DaemonError) -> StartOutcome {
        try request.rejectOverrides()
        let clock = ContinuousClock()
        let began = clock.now
        if case .running(let record) = DaemonStatus.read(paths) {
            return .alreadyRunning(service: agent.label, pid: record.pid, address: record.baseURL)
        }
        try agent.start()
        let record = try waitForHealth(notPID: nil, deadline: began + request.timeout)
        return .started(service: agent.label, pid: record.pid, address: record.baseURL, elapsed: clock.now - began, notes: [])
    }

    /// `bootout`: SIGTERM, then SIGKILL after the plist's `ExitTimeOut`.
    public func stop(timeout: Duration) throws(DaemonError) -> StopOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        let pid = DaemonStatus.read(paths).livePID
        try agent.stop()
        guard let pid else { return .notRunning(service: agent.label, state: nil) }
        return .stopped(service: agent.label, pid: pid, elapsed: clock.now - began, killedAfter: nil)
    }

    public func restart(_ request: StartRequest) throws(DaemonError) -> RestartOutcome {
        try request.rejectOverrides()
        let clock = ContinuousClock()
        let began = clock.now
        let old = DaemonStatus.read(paths).livePID
        try agent.restart()
        let record = try waitForHealth(notPID: old, deadline: began + request.timeout)
        return .restarted(service: agent.label, pid: record.pid, address: record.baseURL, elapsed: clock.now - began)
    }

    public func reload() throws(DaemonError) -> ReloadOutcome {
        try StandaloneSupervisor.reload(paths)
    }

    public func status() -> DaemonStatusReport {
        let launchd = agent.status()
        return .launchd(AgentReport(label: agent.label, loaded: launchd.loaded, launchdState: launchd.state,
                                    lastExitStatus: launchd.lastExitStatus, daemon: ProcessReport.gather(paths)))
    }

    public func logs(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome {
        try DaemonLogFile(paths: paths).print(last: count, follow: follow, emit)
    }

    /// Writes the agent and loads it; with `auto_start` enables and starts it. A standalone daemon
    /// is stopped first: launchd would start a second one that fails on the lock.
    public func install(config: DaemonConfig) throws(DaemonError) -> InstallOutcome {
        var stopped: Int32?
        if config.autoStart, case .running(let record) = DaemonStatus.read(paths) {
            let standalone = StandaloneSupervisor(paths: paths, executable: DaemonExecutable.path(besideCLI: agent.executable),
                                                  environment: agent.environment, serviceManager: { self })
            if case .stopped? = try? standalone.stop(timeout: .seconds(10)) { stopped = record.pid }
        }
        let installed = try agent.install(config: config)
        var outcome = InstallOutcome(files: [InstalledFile(path: agent.plistPath, change: installed.file, effect: "loaded into \(installed.domain)")],
                                     stoppedStandalonePID: stopped, activation: .notStarted(hint: "`cco daemon enable --now` starts it"))
        if installed.enabled { outcome.activation = .started(try start(StartRequest())) }
        return outcome
    }

    /// The plist, and the launchctl calls install would make in a desktop session where the agent
    /// is not loaded yet.
    public func planInstall(config: DaemonConfig) -> InstallPlan {
        let recorder = RecordingCommandRunner()
        var planner = LaunchAgent(paths: paths, executable: agent.executable, environment: agent.environment, uid: agent.uid, runner: recorder)
        planner.launchctl = "launchctl"
        let text = planner.plist(config: config).render()
        _ = try? planner.install(config: config, dryRun: true)
        return InstallPlan(files: [PlannedFile(path: planner.plistPath, content: .success(text))],
                           callsHeading: "would run (assuming a desktop session where the agent is not loaded yet):",
                           calls: recorder.calls.map { $0.joined(separator: " ") })
    }

    public func uninstall() throws(DaemonError) -> [String] {
        try agent.uninstall()
    }

    public func enable(now: Bool) throws(DaemonError) -> EnableOutcome {
        guard agent.isInstalled else {
            throw DaemonError(.notInstalled, "\(agent.plistPath) does not exist; run `cco daemon install` first")
        }
        try agent.enable(now: false)
        var outcome = EnableOutcome(service: agent.label, change: .enabledAtLogin)
        if now { outcome.running = .started(try start(StartRequest())) }
        return outcome
    }

    public func disable(now: Bool) throws(DaemonError) -> DisableOutcome {
        try agent.disable(now: now)
        return DisableOutcome(service: agent.label, removedLinks: nil, stopped: now)
    }

    private func waitForHealth(notPID: Int32?, deadline: ContinuousClock.Instant) throws(DaemonError) -> PIDRecord {
        while ContinuousClock().now < deadline {
            if case .running(let record) = DaemonStatus.read(paths), record.pid != notPID,
               case .success(let reply) = LoopbackHTTPClient.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(1)),
               reply.status == 200 {
                return record
            }
            sleepFor(.milliseconds(20))
        }
        throw DaemonError(.startFailed, "launchd started the agent but /health did not answer in time; see `cco daemon logs`")
    }
}
