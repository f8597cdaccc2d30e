import ArgumentParser
import CCOCore

extension Daemon {
    /// The daemon in the foreground, as service managers run it: execs `cco-daemon` (installed next
    /// to `cco`) in this process, so the pid systemd or launchd watches is the daemon's.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon in the foreground (used by start and by service managers).",
            shouldDisplay: false)

        @OptionGroup var address: AddressOptions

        func run() throws {
            let environment = try CommandEnvironment.current()
            let error = DaemonExecutable.exec(environment.daemonExecutable, DaemonArguments(overrides: address.overrides))
            throw failure("cannot run \(environment.daemonExecutable): \(error); install cco-daemon next to cco (scripts/start builds both)")
        }
    }
}
