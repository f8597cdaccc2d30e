#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import CCOSystemd

/// `cco-daemon [--port N] [--host H] [--take-over]`: what `cco daemon run`, `cco daemon start`, the systemd unit
/// and the launchd agent run. Reads the config, runs the daemon until SIGTERM, and returns the exit
/// status (``DaemonExitStatus``).
public enum DaemonMain {
    public static func run(arguments: [String], environment: [String: String]) async -> Int32 {
        system_umask(0o077)
        #if canImport(Glibc)
        // Blocks of 128 KB and more (Claude Code's request bodies) are mapped for themselves and
        // returned to the system when freed. By default glibc raises this threshold to the largest
        // block freed so far; after a burst of large requests their memory then stays in the heap,
        // counted in the daemon's RSS for as long as it runs.
        system_mallopt(mallocMmapThreshold, 128 * 1024)
        #endif
        let paths: CCOPaths
        do {
            paths = try CCOPaths.resolve(environment: environment)
        } catch {
            report(error.detail, errno: EINVAL)
            return DaemonExitStatus.failure
        }
        let parsed: DaemonArguments
        let config: DaemonConfig
        do {
            parsed = try DaemonArguments.parse(arguments).get()
            config = try parsed.overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
        } catch {
            report(error.description, errno: EINVAL)
            return DaemonExitStatus.configError
        }
        if FileSystem.exists(paths.stateDirectory) { _ = system_chdir(paths.stateDirectory) }
        do {
            var runner = DaemonRunner(paths: paths, config: config, overrides: parsed.overrides)
            runner.journalStream = environment["JOURNAL_STREAM"]
            runner.notifySocketIsReadinessOnly = environment[DaemonArguments.readinessOnlyVariable] == "1"
            runner.underServiceManager = environment["NOTIFY_SOCKET"] != nil && !runner.notifySocketIsReadinessOnly
            runner.takesOver = parsed.takesOver
            runner.environment = environment
            if let first = CommandLine.arguments.first, first.hasPrefix("/") { runner.executable = first }
            try await runner.run()
            return DaemonExitStatus.success
        } catch {
            report(error.detail, errno: errno(for: error.code))
            return DaemonExitStatus.status(for: error.code)
        }
    }

    /// One line on stderr, and the same to the service manager (STATUS= and ERRNO=), so that
    /// `cco daemon start` and `systemctl status` show the daemon's own words.
    private static func report(_ message: String, errno code: CInt) {
        let line = Array(("error: " + message + "\n").utf8)
        _ = line.withUnsafeBytes { system_write(STDERR_FILENO, $0.baseAddress, $0.count) }
        _ = try? Notifier.notify(.status(message), .errno(code))
    }

    private static func errno(for code: DaemonError.Code) -> CInt {
        switch code {
        case .addressInUse: EADDRINUSE
        case .alreadyRunning: EALREADY
        case .config: EINVAL
        case .stateDirectory: EACCES
        default: EIO
        }
    }
}
