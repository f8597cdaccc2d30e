#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Logs: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the daemon's last log lines, or follow the log across rotation.")

        @Option(name: [.customShort("n"), .customLong("lines")], help: "How many of the last lines to print.")
        var lines: Int = 50

        @Flag(name: [.short, .long], help: "Keep printing new lines (like tail -F); Ctrl-C ends.")
        var follow = false

        func validate() throws {
            guard lines >= 1 else { throw ValidationError("--lines must be at least 1") }
        }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            if follow {
                // Ctrl-C ends following cleanly, with status 0 like a finished listing.
                system_signal(SIGINT) { _ in _exit(0) }
                system_signal(SIGPIPE) { _ in _exit(0) }
            }
            let outcome: LogsOutcome
            do { outcome = try supervisor.logs(last: lines, follow: follow, console.out) } catch { throw console.failure(error) }
            if case .noLogYet(let path) = outcome {
                console.err("no log yet at \(path) (the daemon has not run with this state directory)")
            }
        }
    }
}
