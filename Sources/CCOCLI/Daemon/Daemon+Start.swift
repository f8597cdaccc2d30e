import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the daemon in the background and wait until it serves.")

        @OptionGroup var address: AddressOptions

        @OptionGroup var readiness: ReadinessTimeout

        var timeout: Double { readiness.timeout }

        func run() throws {
            let environment = try CommandEnvironment.current()
            if let agent = environment.installedLaunchAgent() {
                try address.rejectUnderSystemd()
                try LaunchAgentCommands.start(agent, timeout: timeout)
                return
            }
            if let (service, manager) = try environment.managedService() {
                try address.rejectUnderSystemd()
                try Self.startUnit(service, manager, environment.paths)
                return
            }
            try Self.start(environment, address.overrides, timeout: timeout)
        }

        static func startUnit(_ service: SystemdUserService, _ manager: UnitManager, _ paths: CCOPaths) throws {
            let clock = ContinuousClock()
            let began = clock.now
            do {
                let before = try service.status(manager: manager)
                if before.activeState == "active" || before.activeState == "reloading" {
                    let record = try? PIDFile(path: paths.pidFile).read()
                    Terminal.out("already running: \(service.unitName) (pid \(before.mainPID))\(record.map { " on \($0.baseURL)" } ?? "")")
                    return
                }
                let status = try service.start(manager: manager)
                Terminal.out(describeUnit("started", service.unitName, status, paths, elapsed: clock.now - began))
            } catch {
                throw failure(error)
            }
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
