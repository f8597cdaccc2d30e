import ArgumentParser
import CCOCore

extension Config {
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one key's effective value.")

        @Argument(help: "The key, e.g. port.")
        var key: String

        func run() throws {
            let key = try configKey(key)
            let config = try CommandEnvironment.current().loadConfig()
            switch key.value(in: config) {
            case .string(let s): Terminal.out(s)
            case let other: Terminal.out(other.toml)
            }
        }
    }
}
