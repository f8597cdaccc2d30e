import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon: SIGTERM, then SIGKILL after the timeout.")

        @Option(help: "Seconds to wait for a graceful exit before SIGKILL.")
        var timeout: Double = 10

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be greater than 0") }
        }

        func run() throws {
            let environment = try CommandEnvironment.current()
            if let agent = environment.installedLaunchAgent() {
                try LaunchAgentCommands.stop(agent)
                return
            }
            if let (service, manager) = try environment.managedService() {
                try Self.stopUnit(service, manager, environment.paths)
                return
            }
            try Self.stop(environment, timeout: timeout)
        }

        static func stopUnit(_ service: SystemdUserService, _ manager: UnitManager, _ paths: CCOPaths) throws {
            let clock = ContinuousClock()
            let began = clock.now
            do {
                let before = try service.status(manager: manager)
                guard before.activeState != "inactive" && before.activeState != "failed" else {
                    Terminal.out("not running: \(service.unitName) is \(before.activeState)")
                    return
                }
                _ = try service.stop(manager: manager)
                Terminal.out("stopped \(service.unitName) (pid \(before.mainPID)) in \((clock.now - began).shortText)")
            } catch {
                throw failure(error)
            }
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
