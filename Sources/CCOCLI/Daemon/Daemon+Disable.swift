import ArgumentParser
import CCOSupervisor

extension Daemon {
    struct Disable: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Do not start the service at login (DisableUnitFiles over D-Bus, or launchctl disable); --now also stops it.")

        @Flag(help: "Also stop the service now.")
        var now = false

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let outcome: DisableOutcome
            do { outcome = try supervisor.disable(now: now) } catch { throw console.failure(error) }
            switch outcome.removedLinks {
            case let links?:
                if links.isEmpty { console.out("already disabled: \(outcome.service)") }
                for link in links { console.out("removed \(link)") }
                if outcome.stopped { console.out("stopped \(outcome.service)") }
            case nil:
                console.out("disabled \(outcome.service)\(outcome.stopped ? " and stopped it" : "")")
            }
        }
    }
}
