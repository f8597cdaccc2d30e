#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

/// Picks the supervisor for one command: the platform's service manager when its service is
/// installed, else standalone (which installs into that manager).
public struct SupervisorChoice: Sendable {
    public let paths: CCOPaths
    /// The running `cco`, which a unit or agent runs as `cco daemon run`.
    public let executable: String
    public let environment: [String: String]

    public init(paths: CCOPaths, executable: String, environment: [String: String]) {
        self.paths = paths
        self.executable = executable
        self.environment = environment
    }

    /// launchd on macOS, systemd elsewhere; `CCO_SERVICE_MANAGER=launchd|systemd` overrides it (the
    /// tests run the launchd path on Linux against a fake launchctl named by `CCO_LAUNCHCTL`).
    public var platform: SupervisorKind {
        if let name = environment["CCO_SERVICE_MANAGER"], let kind = SupervisorKind(rawValue: name), kind != .standalone { return kind }
        #if os(macOS)
        return .launchd
        #else
        return .systemd
        #endif
    }

    /// The supervisor of the daemon for this state directory.
    public func supervisor() -> any DaemonSupervisor {
        let platform = platform
        if isInstalled(platform) { return serviceManager(platform) }
        return StandaloneSupervisor(paths: paths, executable: DaemonExecutable.path(besideCLI: executable),
                                    environment: environment, serviceManager: { [self] in serviceManager(platform) })
    }

    /// The service manager `kind`'s supervisor, installed or not (`install --dry-run --platform`).
    public func serviceManager(_ kind: SupervisorKind) -> any DaemonSupervisor {
        switch kind {
        case .launchd:
            LaunchdSupervisor(agent: LaunchAgent(paths: paths, executable: executable, environment: environment,
                                                 uid: getuid(), runner: ProcessCommandRunner()))
        case .systemd, .standalone:
            SystemdSupervisor(paths: paths, executable: executable, environment: environment)
        }
    }

    private func isInstalled(_ kind: SupervisorKind) -> Bool {
        switch kind {
        case .launchd: FileSystem.exists(LaunchdPlist.path(home: environment["HOME"] ?? ""))
        case .systemd, .standalone: SystemdUserUnits(paths: paths, environment: environment).isInstalled
        }
    }
}
