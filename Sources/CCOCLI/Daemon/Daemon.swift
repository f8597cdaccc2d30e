import ArgumentParser
import CCOCore
import CCOSystemd

/// `cco daemon …`: the daemon's lifecycle.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop and inspect the cco daemon.",
        subcommands: [Start.self, Stop.self, Restart.self, Reload.self, Status.self, Logs.self,
                      Install.self, Uninstall.self, Enable.self, Disable.self, Run.self]
    )
}

/// `--host` and `--port`, which override the config for one run and reach the daemon as its flags.
struct AddressOptions: ParsableArguments {
    @Option(help: "Port to listen on for this run (0 picks a free port); overrides `port` in the config.")
    var port: Int?

    @Option(help: "Address to listen on for this run; overrides `host` in the config.")
    var host: String?

    var overrides: DaemonController.Overrides { .init(host: host, port: port) }

    /// The unit runs `cco daemon run` without flags: under systemd the config file is the one source.
    func rejectUnderSystemd() throws {
        guard port != nil || host != nil else { return }
        throw failure("--port and --host apply to a standalone daemon; with the service installed, set them in the config (cco config set port N) and run `cco daemon restart`", .failure)
    }
}

/// `started cco-daemon.service (pid 51002) on http://127.0.0.1:3000 in 18 ms`
func describeUnit(_ verb: String, _ unit: String, _ status: UnitStatus, _ paths: CCOPaths, elapsed: Duration) -> String {
    let address = (try? PIDFile(path: paths.pidFile).read()).flatMap { $0?.pid == Int32(status.mainPID) ? $0 : nil }.map { " on \($0.baseURL)" } ?? ""
    return "\(verb) \(unit) (pid \(status.mainPID))\(address) in \(elapsed.shortText)"
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
}
