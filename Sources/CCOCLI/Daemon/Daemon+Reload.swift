#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read the config without a restart (log level, log rotation); an invalid config is refused.")

        func run() async throws {
            let environment = try CommandEnvironment.current()
            // Refuse a broken config here, with its file:line message; the daemon would refuse it too.
            _ = try environment.loadConfig()
            if let (service, manager) = try environment.managedService() {
                do {
                    let status = try service.reload(manager: manager)
                    Terminal.out("reloaded \(service.unitName) (pid \(status.mainPID)): \(status.statusText)")
                } catch {
                    throw failure(error)
                }
                return
            }
            guard case .running(let record) = DaemonStatus.read(environment.paths) else {
                throw failure("not running; nothing to reload", .notRunning)
            }
            guard kill(record.pid, SIGHUP) == 0 else {
                throw failure("cannot signal the daemon (pid \(record.pid)): errno \(errno)")
            }
            Terminal.out("reload requested (pid \(record.pid)); `cco daemon logs` shows the outcome")
        }
    }
}
