import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Stop: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon: SIGTERM, then SIGKILL after the timeout.",
            discussion: """
            On SIGTERM the daemon stops accepting and finishes its requests in progress (streams \
            included); what is still running after --timeout is cut, and stop says how much. A \
            daemon that a restart replaced and that is still finishing is stopped with it.
            """)

        @Option(help: "Seconds to let requests in progress finish before SIGKILL cuts them.")
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
            case .stopped(let service, let pid, let elapsed, let killedAfter, let cut):
                let who = [service, pid.map { "(pid \($0))" }].compactMap { $0 }.joined(separator: " ")
                if let killedAfter, let cut, cut.requests > 0 {
                    console.out("stopped \(who) with SIGKILL after \(killedAfter.secondsText) (--timeout), cutting \(cut.text) still in progress")
                } else if let killedAfter {
                    console.out("stopped \(who) with SIGKILL after it ignored SIGTERM for \(killedAfter.secondsText)")
                } else {
                    console.out("stopped \(who) in \(elapsed.shortText)")
                }
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
