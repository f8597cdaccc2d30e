public import CCOCore

/// Who runs the daemon: the one place each `cco daemon` verb is carried out.
///
/// Three conformers: ``StandaloneSupervisor`` (no service manager: `cco` spawns `cco-daemon` and
/// signals it), ``SystemdSupervisor`` (a systemd user unit, driven over D-Bus) and
/// ``LaunchdSupervisor`` (a LaunchAgent, driven through `launchctl`). ``SupervisorChoice`` picks one
/// per command. Every verb returns a value that says what happened; printing it, and the exit code,
/// are the command line's business. Failures are ``DaemonError``s that say what to do.
public protocol DaemonSupervisor {
    /// Which one this is.
    var kind: SupervisorKind { get }

    /// Starts the daemon and returns once it serves (or says that it already runs).
    func start(_ request: StartRequest) throws(DaemonError) -> StartOutcome

    /// Stops the daemon; `timeout` is how long it may take to exit gracefully.
    func stop(timeout: Duration) throws(DaemonError) -> StopOutcome

    /// Replaces the running daemon with a new process (or starts one when none runs).
    func restart(_ request: StartRequest) throws(DaemonError) -> RestartOutcome

    /// Makes the running daemon re-read its config.
    func reload() throws(DaemonError) -> ReloadOutcome

    /// Whether the daemon runs, where, since when, and whether it is healthy.
    func status() throws(DaemonError) -> DaemonStatusReport

    /// Writes the service file for `config` and, with `auto_start`, enables and starts it.
    func install(config: DaemonConfig) throws(DaemonError) -> InstallOutcome

    /// What ``install(config:)`` would write and call, changing nothing.
    func planInstall(config: DaemonConfig) -> InstallPlan

    /// Stops, disables and removes the service; what it did, one note per step.
    func uninstall() throws(DaemonError) -> [String]

    /// Starts the service at login; with `now` also now.
    func enable(now: Bool) throws(DaemonError) -> EnableOutcome

    /// No longer starts the service at login; with `now` also stops it.
    func disable(now: Bool) throws(DaemonError) -> DisableOutcome

    /// The daemon's last `count` log lines through `emit`, then with `follow` each new line until
    /// the process is interrupted.
    func logs(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome
}

/// The three ways the daemon is run.
public enum SupervisorKind: String, Sendable, Hashable, CaseIterable {
    case standalone, systemd, launchd
}

/// What `start` and `restart` are asked for.
public struct StartRequest: Sendable, Hashable {
    /// `--host` and `--port` for this run; only a standalone daemon takes them.
    public var overrides: DaemonArguments.Overrides
    /// How long to wait for the daemon to report ready.
    public var timeout: Duration

    public init(overrides: DaemonArguments.Overrides = .init(), timeout: Duration = .seconds(30)) {
        self.overrides = overrides
        self.timeout = timeout
    }

    /// A service manager runs `cco daemon run` without flags: its config file is the one source.
    func rejectOverrides() throws(DaemonError) {
        guard overrides.host != nil || overrides.port != nil else { return }
        throw DaemonError(.usage, "--port and --host apply to a standalone daemon; with the service installed, set them in the config (cco config set port N) and run `cco daemon restart`")
    }
}
