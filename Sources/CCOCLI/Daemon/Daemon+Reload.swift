import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Reload: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read the config without a restart (log level, log rotation); an invalid config is refused.")

        func run() throws {
            let environment = try CommandEnvironment.current()
            // Refuse a broken config here, with its file:line message; the daemon would refuse it too.
            _ = try environment.loadConfig()
            try run(on: environment.supervisor(), console: .terminal)
        }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let outcome: ReloadOutcome
            do { outcome = try supervisor.reload() } catch { throw console.failure(error) }
            apply(outcome, console: console)
        }

        /// Has a running daemon (or the installed unit's) re-read the config and files it reads at
        /// start; nil, after saying `noneRunning`, when none runs.
        static func ifRunning(_ environment: CommandEnvironment, noneRunning: String) throws -> ReloadOutcome? {
            do {
                return try environment.supervisor().reload()
            } catch where error.code == .notRunning || error.code == .notInstalled {
                Terminal.out(noneRunning)
                return nil
            } catch {
                throw failure(error)
            }
        }

        /// Prints what the daemon said of the reload.
        func apply(_ outcome: ReloadOutcome, console: Console) {
            switch outcome {
            case .reloaded(let service?, let pid, let status):
                console.out("reloaded \(service) (pid \(pid)): \(status)")
            case .reloaded(nil, let pid, let status):
                console.out("\(status) (pid \(pid))")
            case .requested(let pid):
                console.out("reload requested (pid \(pid)); `cco daemon logs` shows the outcome")
            }
        }
    }
}
