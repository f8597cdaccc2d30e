import ArgumentParser
import CCOCore
import CCOSupervisor

/// `cco daemon …`: the daemon's lifecycle. Each verb is one file, `Daemon+Verb.swift`: it parses,
/// calls the ``DaemonSupervisor`` that ``CommandEnvironment`` picked, and prints the outcome.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop and inspect the cco daemon.",
        subcommands: [Start.self, Stop.self, Restart.self, Reload.self, Status.self, Logs.self,
                      Install.self, Uninstall.self, Enable.self, Disable.self, Run.self]
    )
}

/// A `cco daemon` verb: what it does with whichever supervisor runs the daemon.
protocol SupervisorCommand: ParsableCommand {
    func run(on supervisor: any DaemonSupervisor, console: Console) throws
}

extension SupervisorCommand {
    func run() throws {
        try run(on: CommandEnvironment.current().supervisor(), console: .terminal)
    }
}

/// `--host` and `--port`, which override the config for one run and reach the daemon as its flags.
struct AddressOptions: ParsableArguments {
    @Option(help: "Port to listen on for this run (0 picks a free port); overrides `port` in the config.")
    var port: Int?

    @Option(help: "Address to listen on for this run; overrides `host` in the config.")
    var host: String?

    var overrides: DaemonArguments.Overrides { .init(host: host, port: port) }
}

/// `--timeout` of start and restart: how long to wait for the daemon to be ready.
struct ReadinessTimeout: ParsableArguments {
    @Option(help: "Seconds to wait for the daemon to report ready (restart: also to stop).")
    var timeout: Double = 30

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be greater than 0") }
    }
}

extension Duration {
    init(secondsOption seconds: Double) {
        self = .milliseconds(Int64(seconds * 1000))
    }

    /// `21 ms`, `1.2 s`.
    var shortText: String {
        let ms = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        if ms < 1 { return "\((ms * 10).rounded() / 10) ms" }
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        return "\((ms / 100).rounded() / 10) s"
    }

    /// `10 s`, `0.5 s`: a `--timeout` as typed.
    var secondsText: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
