#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

/// What every command needs from the process: the environment, the state paths, this executable.
struct CommandEnvironment {
    let variables: [String: String]
    let paths: CCOPaths

    static func current() throws -> CommandEnvironment {
        let variables = ProcessEnvironment.current()
        do {
            return CommandEnvironment(variables: variables, paths: try CCOPaths.resolve(environment: variables))
        } catch {
            throw failure(error)
        }
    }

    /// The absolute path of the running `cco`, which the daemon is started as.
    var executable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    /// `cco-daemon`, next to this `cco`.
    var daemonExecutable: String { DaemonExecutable.path(besideCLI: executable) }

    var controller: DaemonController {
        DaemonController(paths: paths, executable: daemonExecutable, environment: variables)
    }

    var systemdService: SystemdUserService {
        SystemdUserService(paths: paths, executable: executable, environment: variables)
    }

    /// launchd on macOS, systemd elsewhere; `CCO_SERVICE_MANAGER=launchd|systemd` overrides it (the
    /// tests run the launchd path on Linux against a fake launchctl named by `CCO_LAUNCHCTL`).
    var serviceManagerKind: ServiceManagerKind {
        if let name = variables["CCO_SERVICE_MANAGER"], let kind = ServiceManagerKind(rawValue: name) { return kind }
        #if os(macOS)
        return .launchd
        #else
        return .systemd
        #endif
    }

    var launchdService: LaunchdServiceManager {
        LaunchdServiceManager(paths: paths, executable: executable, environment: variables, uid: getuid(), runner: ProcessCommandRunner())
    }

    /// The LaunchAgent when launchd is the service manager and the agent is installed.
    func installedLaunchAgent() -> LaunchdServiceManager? {
        guard serviceManagerKind == .launchd else { return nil }
        let service = launchdService
        return service.isInstalled ? service : nil
    }

    /// The unit and a connection to its manager when the unit is installed; nil when cco runs standalone.
    func managedService() throws -> (service: SystemdUserService, manager: UnitManager)? {
        guard serviceManagerKind == .systemd else { return nil }
        let service = systemdService
        guard service.isInstalled else { return nil }
        do { return (service, try service.connect()) } catch { throw failure(error) }
    }

    func loadConfig() throws -> DaemonConfig {
        do { return try ConfigFile(path: paths.configFile).load() } catch { throw failure(error) }
    }
}

enum ServiceManagerKind: String {
    case systemd, launchd
}
