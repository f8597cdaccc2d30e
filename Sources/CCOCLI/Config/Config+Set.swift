import ArgumentParser
import CCOCore

extension Config {
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set one key: the file is validated first and replaced atomically (mode 0600).")

        @Argument(help: "The key, e.g. port.")
        var key: String

        @Argument(help: "The new value, e.g. 8080.")
        var value: String

        func run() throws {
            let key = try configKey(key)
            let environment = try CommandEnvironment.current()
            let file = ConfigFile(path: environment.paths.configFile)
            let newValue = key.parseCommandLineValue(value)
            do {
                try FileSystem.makeDirectory(environment.paths.stateDirectory, mode: 0o700)
                try file.set(key, to: newValue)
            } catch let error as ConfigError {
                throw failure(error)
            } catch {
                throw failure("\(error)")
            }
            Terminal.out("\(key.name) = \(newValue.toml) in \(file.path)")
            if DaemonStatus.read(environment.paths).livePID != nil {
                Terminal.out("the running daemon still uses the old value: `cco daemon restart` applies it")
            }
        }
    }
}
