#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

/// The daemon with no service manager: `start` spawns `cco-daemon` and waits for it to report ready
/// on a notification socket, as systemd would; `stop` signals it, never anything else; `restart`
/// hands its listening socket to a new process. One verb per file: `StandaloneSupervisor+Start`, …
///
/// It is what runs until a service is installed, so `install`, `uninstall`, `enable` and `disable`
/// go to the platform's service manager (``serviceManager``).
public struct StandaloneSupervisor: DaemonSupervisor, Sendable {
    public let paths: CCOPaths
    /// The `cco-daemon` executable (``DaemonExecutable``) to run.
    public let executable: String
    /// The environment the daemon inherits (`NOTIFY_SOCKET` and `CCO_HOME` are set on top).
    public let environment: [String: String]
    /// The supervisor that installs the service on this platform (systemd, or launchd on macOS);
    /// made only when one of the service verbs needs it.
    public let serviceManager: @Sendable () -> any DaemonSupervisor

    public init(paths: CCOPaths, executable: String, environment: [String: String],
                serviceManager: @escaping @Sendable () -> any DaemonSupervisor) {
        self.paths = paths
        self.executable = executable
        self.environment = environment
        self.serviceManager = serviceManager
    }

    public var kind: SupervisorKind { .standalone }

    public func status() -> DaemonStatusReport {
        .standalone(ProcessReport.gather(paths))
    }

    public func logs(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome {
        try DaemonLogFile(paths: paths).print(last: count, follow: follow, emit)
    }

    // MARK: - The service verbs, for the platform's service manager

    public func install(config: DaemonConfig) throws(DaemonError) -> InstallOutcome {
        try serviceManager().install(config: config)
    }

    public func planInstall(config: DaemonConfig) -> InstallPlan {
        serviceManager().planInstall(config: config)
    }

    public func uninstall() throws(DaemonError) -> [String] {
        try serviceManager().uninstall()
    }

    public func enable(now: Bool) throws(DaemonError) -> EnableOutcome {
        try serviceManager().enable(now: now)
    }

    public func disable(now: Bool) throws(DaemonError) -> DisableOutcome {
        try serviceManager().disable(now: now)
    }

    // MARK: - Shared by the verbs

    /// `control.lock`: one `cco` command at a time changes what runs.
    func controlLock(timeout: Duration) throws(DaemonError) -> FileLock {
        do {
            guard let lock = try FileLock.lock(paths.controlLockFile, timeout: timeout) else {
                throw DaemonError(.lockFailed, "another cco command has held \(paths.controlLockFile) for \(timeout); try again")
            }
            return lock
        } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.lockFailed, "\(error)")
        }
    }

    func removeStalePIDFile() throws(DaemonError) {
        do { try PIDFile(path: paths.pidFile).remove() } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
    }

    /// Refuses a bad config with the message the daemon would give, before anything is spawned.
    func checkConfig(_ overrides: DaemonArguments.Overrides) throws(DaemonError) {
        do {
            _ = try overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
        } catch {
            throw DaemonError(.config, error.description)
        }
    }
}
