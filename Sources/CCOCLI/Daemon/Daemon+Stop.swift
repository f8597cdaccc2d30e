import ArgumentParser
import CCOCore

extension Daemon {
    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon: SIGTERM, then SIGKILL after the timeout.")

        @Option(help: "Seconds to wait for a graceful exit before SIGKILL.")
        var timeout: Double = 10

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be greater than 0") }
        }

        func run() async throws {
            try Self.stop(try CommandEnvironment.current(), timeout: timeout)
        }

        static func stop(_ environment: CommandEnvironment, timeout: Double) throws {
            do {
                switch try environment.controller.stop(timeout: Duration(secondsOption: timeout)) {
                case .stopped(let pid, let elapsed, let killed):
                    Terminal.out(killed
                        ? "stopped (pid \(pid)) with SIGKILL after it ignored SIGTERM for \(timeout) s"
                        : "stopped (pid \(pid)) in \(elapsed.shortText)")
                case .notRunning:
                    Terminal.out("not running")
                case .removedStalePIDFile(let record):
                    Terminal.out("not running; removed a stale PID file\(record.map { " naming pid \($0.pid), which is not a cco daemon any more" } ?? "")")
                }
            } catch {
                throw failure(error)
            }
        }
    }
}
