import ArgumentParser
import CCOSupervisor

extension Daemon {
    struct Enable: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the service at login (EnableUnitFiles over D-Bus, or launchctl enable); --now also starts it.")

        @Flag(help: "Also start the service now.")
        var now = false

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let outcome: EnableOutcome
            do { outcome = try supervisor.enable(now: now) } catch { throw console.failure(error) }
            switch outcome.change {
            case .links(let links) where links.isEmpty:
                console.out("already enabled: \(outcome.service)")
            case .links(let links):
                for link in links { console.out("created \(link.file) → \(link.destination)") }
            case .enabledAtLogin:
                console.out("enabled \(outcome.service): starts at login")
            }
            switch outcome.running {
            case .unit(let pid, let statusText)?: console.out("running (pid \(pid)): \(statusText)")
            case .started(let started)?: Start.print(started, console)
            case nil: break
            }
        }
    }
}
