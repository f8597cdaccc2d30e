#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore

extension Config {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective config: every key, with defaults filled in and marked.")

        func run() throws {
            let environment = try CommandEnvironment.current()
            let path = environment.paths.configFile
            let config = try environment.loadConfig()
            let text: String?
            do { text = try FileSystem.readTextIfExists(path) } catch { throw failure("\(error)") }
            Terminal.out("# \(path)\(text == nil ? " (no file: every key has its default)" : "")")
            Terminal.write(STDOUT_FILENO, config.renderTOML(explicitKeys: DaemonConfig.explicitKeys(in: text ?? "")))
        }
    }
}
