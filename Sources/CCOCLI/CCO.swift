public import ArgumentParser
import CCOCore

/// `cco`: the root command.
public struct CCO: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cco",
        abstract: "Run and manage the local CCO daemon.",
        version: CCOVersion.current,
        subcommands: [Daemon.self, Config.self, Stats.self, Budget.self, Dashboard.self, Pricing.self, Statusline.self, Setup.self, Doctor.self]
    )

    public init() {}
}
