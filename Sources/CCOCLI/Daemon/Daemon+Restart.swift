import ArgumentParser
import CCOCore

extension Daemon {
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon if it runs, then start it; --host and --port apply to the new run.")

        @OptionGroup var address: AddressOptions

        @OptionGroup var readiness: ReadinessTimeout

        var timeout: Double { readiness.timeout }

        func run() async throws {
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
            try Stop.stop(environment, timeout: min(timeout, 10))
            try Start.start(environment, address.overrides, timeout: timeout)
        }
    }
}
