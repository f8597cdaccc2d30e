import ArgumentParser
import CCOCore

extension Daemon {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the daemon in the background and wait until it serves.")

        @OptionGroup var address: AddressOptions

        @Option(help: "Seconds to wait for the daemon to report ready.")
        var timeout: Double = 30

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be greater than 0") }
        }

        func run() async throws {
            let environment = try CommandEnvironment.current()
            try Self.start(environment, address.overrides, timeout: timeout)
        }

        static func start(_ environment: CommandEnvironment, _ overrides: DaemonController.Overrides, timeout: Double) throws {
            do {
                switch try environment.controller.start(overrides, timeout: Duration(secondsOption: timeout)) {
                case .started(let record, let elapsed, let notes):
                    for note in notes { Terminal.out("note: \(note)") }
                    Terminal.out("started (pid \(record.pid)) on \(record.baseURL) in \(elapsed.shortText)")
                case .alreadyRunning(let record):
                    Terminal.out("already running (pid \(record.pid)) on \(record.baseURL)")
                }
            } catch {
                throw failure(error)
            }
        }
    }
}
