import ArgumentParser
import CCOCore

extension Config {
    struct Path: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the path of config.toml.")

        func run() async throws {
            Terminal.out(try CommandEnvironment.current().paths.configFile)
        }
    }
}
