#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSupervisor

/// `--platform` of `cco daemon install --dry-run`.
enum ServicePlatform: String, ExpressibleByArgument, CaseIterable {
    case linux, macos

    var supervisorKind: SupervisorKind { self == .macos ? .launchd : .systemd }
}

extension Daemon {
    struct Install: SupervisorCommand {
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
            let supervisor = platform.map { environment.choice.serviceManager($0.supervisorKind) } ?? environment.supervisor()
            try run(on: supervisor, config: config, console: .terminal)
        }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            try run(on: supervisor, config: CommandEnvironment.current().loadConfig(), console: console)
        }

        func run(on supervisor: any DaemonSupervisor, config: DaemonConfig, console: Console) throws {
            if dryRun {
                Self.print(supervisor.planInstall(config: config), console)
                return
            }
            let outcome: InstallOutcome
            do { outcome = try supervisor.install(config: config) } catch { throw console.failure(error) }
            for file in outcome.files {
                switch file.change {
                case .unchanged: console.out("unchanged: \(file.path)")
                case .written: console.out("wrote \(file.path), \(file.effect)")
                case .updated: console.out("updated \(file.path), \(file.effect)")
                }
            }
            if let pid = outcome.stoppedStandalonePID {
                console.out("stopped the standalone daemon (pid \(pid)): the service manager runs it from now on")
            }
            switch outcome.activation {
            case .socketListening(let unit, let listen):
                console.out("enabled: \(unit) listens on \(listen) from login (socket_activation = true); the first connection starts the daemon")
            case .running(let pid, let statusText):
                console.out("enabled: starts at login (auto_start = true); running (pid \(pid)): \(statusText)")
            case .started(let started):
                Start.print(started, console)
            case .notStarted(let hint):
                console.out("not enabled or started (auto_start = false): \(hint)")
            }
            if let user = outcome.lingerOffUser {
                console.out("warning: lingering is off for \(user): the daemon will not run before you log in")
                console.out("  hint: loginctl enable-linger \(user)")
            }
        }

        static func print(_ plan: InstallPlan, _ console: Console) {
            for file in plan.files {
                switch file.content {
                case .success(let text):
                    console.out("would write \(file.path)\(file.note.map { " \($0)" } ?? ""):")
                    console.out(text.hasSuffix("\n") ? String(text.dropLast()) : text)
                case .failure(let problem):
                    console.out(problem.description)
                }
            }
            console.out(plan.callsHeading)
            for call in plan.calls { console.out("  " + call) }
        }
    }
}
