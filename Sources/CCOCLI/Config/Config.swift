import ArgumentParser
import CCOCore

/// `cco config …`: read, check and change `config.toml`.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, validate and change the daemon's configuration.",
        subcommands: [Path.self, Show.self, Validate.self, Get.self, Set.self]
    )
}

/// Parses a key name with the same "did you mean" help as the config file gets.
func configKey(_ name: String) throws -> ConfigKey {
    if let key = ConfigKey(rawValue: name) { return key }
    let hint = ConfigKey.suggestion(for: name).map { " (did you mean `\($0.name)`?)" } ?? "; `cco config show` lists the known keys"
    throw failure("`\(name)` is not a known key\(hint)")
}
