import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Stop: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon: SIGTERM, then SIGKILL after the timeout.")

        @Option(help: "Seconds to wait for a graceful exit before SIGKILL.")
        var timeout: Double = 10

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be greater than 0") }
        }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            do {
                Self.print(try supervisor.stop(timeout: Duration(secondsOption: timeout)), console)
            } catch {
                throw console.failure(error)
            }
        }

        static func print(_ outcome: StopOutcome, _ console: Console) {
            switch outcome {
            case .stopped(let service, let pid, let elapsed, let killedAfter):
                let who = [service, pid.map { "(pid \($0))" }].compactMap { $0 }.joined(separator: " ")
                console.out(killedAfter.map { "stopped \(who) with SIGKILL after it ignored SIGTERM for \($0.secondsText)" }
                    ?? "stopped \(who) in \(elapsed.shortText)")
            case .notRunning(let service?, let state?):
                console.out("not running: \(service) is \(state)")
            case .notRunning(let service?, nil):
                console.out("not running: \(service)")
            case .notRunning(nil, _):
                console.out("not running")
            case .removedStalePIDFile(let record):
                console.out("not running; removed a stale PID file\(record.map { " naming pid \($0.pid), which is not a cco daemon any more" } ?? "")")
            }
        }
    }
}
