import ArgumentParser
import CCOSupervisor

extension Daemon {
    struct Uninstall: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop, disable and remove the service.")

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let notes: [String]
            do { notes = try supervisor.uninstall() } catch { throw console.failure(error) }
            if notes.isEmpty { console.out("not installed: nothing to do") }
            for note in notes { console.out(note) }
        }
    }
}
