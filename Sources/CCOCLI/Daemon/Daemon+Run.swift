#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOServer
import CCOSystemd

extension Daemon {
    /// The daemon in the foreground: what `cco daemon start`, the systemd unit and the launchd agent run.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon in the foreground (used by start and by service managers).",
            shouldDisplay: false)

        @OptionGroup var address: AddressOptions

        func run() async throws {
            umask(0o077)
            let environment = try CommandEnvironment.current()
            let paths = environment.paths
            let config: DaemonConfig
            do {
                config = try address.overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
            } catch {
                report(error.description, errno: EINVAL)
                throw ExitCode.configError
            }
            if FileSystem.exists(paths.stateDirectory) { _ = chdir(paths.stateDirectory) }
            do {
                var runner = DaemonRunner(paths: paths, config: config, overrides: address.overrides)
                runner.journalStream = environment.variables["JOURNAL_STREAM"]
                runner.notifySocketIsReadinessOnly = environment.variables[DaemonController.readinessOnlyVariable] == "1"
                try await runner.run()
            } catch {
                report(error.detail, errno: Self.errno(for: error.code))
                throw ExitCode(error.code)
            }
        }

        /// One line on stderr, and the same to the service manager (STATUS= and ERRNO=), so that
        /// `cco daemon start` and `systemctl status` show the daemon's own words.
        private func report(_ message: String, errno code: CInt) {
            Terminal.error("error: " + message)
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
}
