import ArgumentParser
import CCOCore

extension Daemon {
    struct Restart: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the running daemon without refusing a connection; --host and --port apply to the new run.",
            discussion: """
            Standalone, the new daemon takes the listening socket over from the running one, which \
            then finishes its requests and exits. Under systemd the socket waits in the unit's fd \
            store (or the socket unit) while the service restarts.
            """)

        @OptionGroup var address: AddressOptions

        @OptionGroup var readiness: ReadinessTimeout

        var timeout: Double { readiness.timeout }

        func run() throws {
            let environment = try CommandEnvironment.current()
            if let agent = environment.installedLaunchAgent() {
                try address.rejectUnderSystemd()
                try LaunchAgentCommands.restart(agent, timeout: timeout)
                return
            }
            if let (service, manager) = try environment.managedService() {
                try address.rejectUnderSystemd()
                let clock = ContinuousClock()
                let began = clock.now
                do {
                    let status = try service.restart(manager: manager)
                    Terminal.out(describeUnit("restarted", service.unitName, status, environment.paths, elapsed: clock.now - began))
                } catch {
                    throw failure(error)
                }
                return
            }
            do {
                if let outcome = try environment.controller.restart(address.overrides, timeout: Duration(secondsOption: timeout), drainTimeout: .seconds(8)) {
                    let drained = outcome.killed ? "killed after \(outcome.drained.shortText) of draining" : "drained and exited \(outcome.drained.shortText) after the takeover"
                    Terminal.out("restarted (pid \(outcome.previousPID) → \(outcome.record.pid)) on \(outcome.record.baseURL) in \(outcome.elapsed.shortText), listener kept open; pid \(outcome.previousPID) \(drained)")
                    return
                }
            } catch {
                throw failure(error)
            }
            try Stop.stop(environment, timeout: min(timeout, 10))
            try Start.start(environment, address.overrides, timeout: timeout)
        }
    }
}
