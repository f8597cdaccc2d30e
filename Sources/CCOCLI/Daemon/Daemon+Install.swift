#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

/// `--platform` of `cco daemon install --dry-run`.
enum ServicePlatform: String, ExpressibleByArgument, CaseIterable {
    case linux, macos
}

extension Daemon {
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the service (systemd user unit, or launchd agent on macOS); with auto_start = true also enable and start it.")

        @Flag(help: "Print the file that would be written and the calls that would be made; change nothing.")
        var dryRun = false

        @Option(help: "With --dry-run: the platform to plan for (linux or macos).")
        var platform: ServicePlatform?

        func validate() throws {
            if platform != nil && !dryRun { throw ValidationError("--platform needs --dry-run") }
        }

        func run() throws {
            let environment = try CommandEnvironment.current()
            let config = try environment.loadConfig()
            let kind: ServiceManagerKind = platform.map { $0 == .macos ? .launchd : .systemd } ?? environment.serviceManagerKind
            if dryRun {
                kind == .launchd ? try planLaunchAgent(environment, config) : planSystemdUnit(environment, config)
                return
            }
            if kind == .launchd {
                try installLaunchAgent(environment, config)
                return
            }
            let service = environment.systemdService
            let manager: UnitManager
            do { manager = try service.connect() } catch { throw failure(error) }
            let outcome: SystemdUserService.InstallOutcome
            do { outcome = try service.install(config: config, manager: manager) } catch { throw failure(error) }
            printFileChange(outcome.file, service.unitPath, reloaded: "reloaded systemd")
            if let socket = outcome.socket {
                printFileChange(socket.file, service.socketUnitPath, reloaded: "listening on \(socket.listen)")
            }
            if let pid = outcome.stoppedStandalonePID {
                Terminal.out("stopped the standalone daemon (pid \(pid)): systemd runs it from now on")
            }
            if let socket = outcome.socket, outcome.socketStatus != nil {
                Terminal.out("enabled: \(service.socketUnitName) listens on \(socket.listen) from login (socket_activation = true); the first connection starts the daemon")
            } else if let status = outcome.started {
                Terminal.out("enabled: starts at login (auto_start = true); running (pid \(status.mainPID)): \(status.statusText)")
            } else {
                Terminal.out("not enabled or started (auto_start = false): `cco daemon enable --now` does both")
            }
            if let user = outcome.lingerOff {
                Terminal.out("warning: lingering is off for \(user): the daemon will not run before you log in")
                Terminal.out("  hint: loginctl enable-linger \(user)")
            }
        }

        private func printFileChange(_ change: SystemdUserService.FileChange, _ path: String, reloaded: String) {
            switch change {
            case .unchanged: Terminal.out("unchanged: \(path)")
            case .written: Terminal.out("wrote \(path), \(reloaded)")
            case .updated: Terminal.out("updated \(path), \(reloaded)")
            }
        }

        private func installLaunchAgent(_ environment: CommandEnvironment, _ config: DaemonConfig) throws {
            let agent = environment.launchdService
            if config.autoStart, case .running = DaemonStatus.read(environment.paths) {
                // launchd would start a second daemon that fails on the lock; hand over instead.
                _ = try? environment.controller.stop(timeout: .seconds(10))
            }
            let outcome: LaunchdServiceManager.InstallOutcome
            do { outcome = try agent.install(config: config) } catch { throw failure(error) }
            printFileChange(outcome.file, agent.plistPath, reloaded: "loaded into \(outcome.domain)")
            if outcome.enabled {
                try LaunchAgentCommands.start(agent, timeout: 30)
            } else {
                Terminal.out("not started (auto_start = false): `cco daemon enable --now` starts it")
            }
        }

        private func planLaunchAgent(_ environment: CommandEnvironment, _ config: DaemonConfig) throws {
            let recorder = RecordingCommandRunner()
            var agent = LaunchdServiceManager(paths: environment.paths, executable: environment.executable,
                                              environment: environment.variables, uid: getuid(), runner: recorder)
            agent.launchctl = "launchctl"
            let text = agent.plist(config: config).render()
            do { _ = try agent.install(config: config, dryRun: true) } catch { throw failure(error) }
            Terminal.out("would write \(agent.plistPath):")
            Terminal.write(STDOUT_FILENO, text)
            Terminal.out("would run (assuming a desktop session where the agent is not loaded yet):")
            for call in recorder.calls { Terminal.out("  " + call.joined(separator: " ")) }
        }

        private func planSystemdUnit(_ environment: CommandEnvironment, _ config: DaemonConfig) {
            let service = environment.systemdService
            // Reading the manager's version changes nothing; without a bus, plan for systemd < 253.
            let version = (try? service.connect().majorVersion()) ?? nil
            let unit = SystemdUnitTemplate(
                executable: environment.executable, stateDirectory: environment.paths.stateDirectory,
                ccoHome: environment.variables["CCO_HOME"].map { _ in environment.paths.stateDirectory },
                managerVersion: version ?? 252, config: config)
            Terminal.out("would write \(service.unitPath)\(version == nil ? " (systemd version unknown here: planned for < 253)" : ""):")
            Terminal.write(STDOUT_FILENO, unit.render())
            var started = service.unitName
            if config.socketActivation {
                do {
                    let socket = try SystemdSocketTemplate(host: config.host, port: config.port, configFile: environment.paths.configFile)
                    Terminal.out("would write \(service.socketUnitPath):")
                    Terminal.write(STDOUT_FILENO, socket.render())
                    started = service.socketUnitName
                } catch {
                    Terminal.out("cannot render \(service.socketUnitName): \(error)")
                }
            }
            Terminal.out("would call org.freedesktop.systemd1.Manager on the user bus:")
            Terminal.out("  Reload()")
            if config.autoStart {
                Terminal.out("  EnableUnitFiles([\"\(started)\"], runtime: false, force: true)")
                Terminal.out("  StartUnit(\"\(started)\", \"replace\"), waiting for JobRemoved")
            }
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop, disable and remove the service.")

        func run() throws {
            let environment = try CommandEnvironment.current()
            let notes: [String]
            if environment.serviceManagerKind == .launchd {
                do { notes = try environment.launchdService.uninstall() } catch { throw failure(error) }
            } else {
                let service = environment.systemdService
                let manager: UnitManager
                do { manager = try service.connect() } catch { throw failure(error) }
                do { notes = try service.uninstall(manager: manager) } catch { throw failure(error) }
            }
            if notes.isEmpty { Terminal.out("not installed: nothing to do") }
            for note in notes { Terminal.out(note) }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the service at login (EnableUnitFiles over D-Bus, or launchctl enable); --now also starts it.")

        @Flag(help: "Also start the service now.")
        var now = false

        func run() throws {
            let environment = try CommandEnvironment.current()
            if environment.serviceManagerKind == .launchd {
                let agent = environment.launchdService
                guard agent.isInstalled else { throw failure("\(agent.plistPath) does not exist; run `cco daemon install` first") }
                do { try agent.enable(now: false) } catch { throw failure(error) }
                Terminal.out("enabled \(agent.label): starts at login")
                if now { try LaunchAgentCommands.start(agent, timeout: 30) }
                return
            }
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

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Do not start the service at login (DisableUnitFiles over D-Bus, or launchctl disable); --now also stops it.")

        @Flag(help: "Also stop the service now.")
        var now = false

        func run() throws {
            let environment = try CommandEnvironment.current()
            if environment.serviceManagerKind == .launchd {
                let agent = environment.launchdService
                do { try agent.disable(now: now) } catch { throw failure(error) }
                Terminal.out("disabled \(agent.label)\(now ? " and stopped it" : "")")
                return
            }
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
