import ArgumentParser
import CCOCore

/// `cco daemon …`: the daemon's lifecycle.
struct Daemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop and inspect the cco daemon.",
        subcommands: [Start.self, Stop.self, Restart.self, Status.self, Logs.self, Run.self]
    )
}

/// `--host` and `--port`, which override the config for one run and reach the daemon as its flags.
struct AddressOptions: ParsableArguments {
    @Option(help: "Port to listen on for this run (0 picks a free port); overrides `port` in the config.")
    var port: Int?

    @Option(help: "Address to listen on for this run; overrides `host` in the config.")
    var host: String?

    var overrides: DaemonController.Overrides { .init(host: host, port: port) }
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
