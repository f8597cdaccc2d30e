import ArgumentParser
import CCOCore

extension Config {
    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the path of config.toml.")

        func run() throws {
            Terminal.out(try CommandEnvironment.current().paths.configFile)
        }
    }
}
