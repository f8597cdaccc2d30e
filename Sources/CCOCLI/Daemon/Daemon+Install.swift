import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the systemd user unit; with auto_start = true also enable and start it.")

        func run() async throws {
            let environment = try CommandEnvironment.current()
            let config = try environment.loadConfig()
            let service = environment.systemdService
            let manager: UnitManager
            do { manager = try service.connect() } catch { throw failure(error) }
            let outcome: SystemdUserService.InstallOutcome
            do { outcome = try service.install(config: config, manager: manager) } catch { throw failure(error) }
            switch outcome.file {
            case .unchanged: Terminal.out("unchanged: \(service.unitPath)")
            case .written: Terminal.out("wrote \(service.unitPath), reloaded systemd")
            case .updated: Terminal.out("updated \(service.unitPath), reloaded systemd")
            }
            if let pid = outcome.stoppedStandalonePID {
                Terminal.out("stopped the standalone daemon (pid \(pid)): systemd runs it from now on")
            }
            if let status = outcome.started {
                Terminal.out("enabled: starts at login (auto_start = true); running (pid \(status.mainPID)): \(status.statusText)")
            } else {
                Terminal.out("not enabled or started (auto_start = false): `cco daemon enable --now` does both")
            }
            if let user = outcome.lingerOff {
                Terminal.out("warning: lingering is off for \(user): the daemon will not run before you log in")
                Terminal.out("  hint: loginctl enable-linger \(user)")
            }
        }
    }

    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop, disable and remove the systemd user unit.")

        func run() async throws {
            let environment = try CommandEnvironment.current()
            let service = environment.systemdService
            let manager: UnitManager
            do { manager = try service.connect() } catch { throw failure(error) }
            do {
                let notes = try service.uninstall(manager: manager)
                if notes.isEmpty { Terminal.out("not installed: nothing to do") }
                for note in notes { Terminal.out(note) }
            } catch {
                throw failure(error)
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the unit at login (EnableUnitFiles over D-Bus); --now also starts it.")

        @Flag(help: "Also start the unit now.")
        var now = false

        func run() async throws {
            let environment = try CommandEnvironment.current()
            let service = environment.systemdService
            let manager: UnitManager
            do { manager = try service.connect() } catch { throw failure(error) }
            do {
                let (changes, status) = try service.enable(now: now, manager: manager)
                Terminal.out(changes.isEmpty ? "already enabled: \(service.unitName)" : changes.map { "created \($0.file) → \($0.destination)" }.joined(separator: "\n"))
                if let status { Terminal.out("running (pid \(status.mainPID)): \(status.statusText)") }
            } catch {
                throw failure(error)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Do not start the unit at login (DisableUnitFiles over D-Bus); --now also stops it.")

        @Flag(help: "Also stop the unit now.")
        var now = false

        func run() async throws {
            let environment = try CommandEnvironment.current()
            let service = environment.systemdService
            let manager: UnitManager
            do { manager = try service.connect() } catch { throw failure(error) }
            do {
                let changes = try service.disable(now: now, manager: manager)
                Terminal.out(changes.isEmpty ? "already disabled: \(service.unitName)" : changes.map { "removed \($0.file)" }.joined(separator: "\n"))
                if now { Terminal.out("stopped \(service.unitName)") }
            } catch {
                throw failure(error)
            }
        }
    }
}
