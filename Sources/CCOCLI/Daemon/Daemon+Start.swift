import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Start: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the daemon in the background and wait until it serves.")

        @OptionGroup var address: AddressOptions

        @OptionGroup var readiness: ReadinessTimeout

        var timeout: Double { readiness.timeout }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let request = StartRequest(overrides: address.overrides, timeout: Duration(secondsOption: timeout))
            do {
                Self.print(try supervisor.start(request), console)
            } catch {
                throw console.failure(error)
            }
        }

        /// `started (pid 48211) on http://127.0.0.1:3000 in 21 ms`, or `started UNIT (pid …) …`
        /// when a service manager runs it.
        static func print(_ outcome: StartOutcome, _ console: Console) {
            switch outcome {
            case .started(let service, let pid, let address, let elapsed, let notes):
                for note in notes { console.out("note: \(note)") }
                console.out("started \(service.map { "\($0) " } ?? "")(pid \(pid))\(address.map { " on \($0)" } ?? "") in \(elapsed.shortText)")
            case .alreadyRunning(let service, let pid, let address):
                console.out("already running\(service.map { ": \($0)" } ?? "") (pid \(pid))\(address.map { " on \($0)" } ?? "")")
            }
        }
    }
}
