import ArgumentParser
import CCOCore

extension Config {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a config file (default: the one the daemon reads).",
            discussion: "Exit status: 0 valid, 78 invalid (the error names the file, line and key).")

        @Argument(help: "The file to check.")
        var file: String?

        func run() throws {
            let path = try file ?? CommandEnvironment.current().paths.configFile
            if file != nil && !FileSystem.exists(path) {
                throw failure("\(path): no such file", .configError)
            }
            do {
                _ = try DaemonConfig.load(from: path)
            } catch {
                throw failure(error)
            }
            Terminal.out("\(path): ok")
        }
    }
}
