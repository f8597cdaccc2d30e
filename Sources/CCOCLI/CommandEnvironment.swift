#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSupervisor

/// What every command needs from the process: the environment, the state paths, this executable.
struct CommandEnvironment {
    let variables: [String: String]
    let paths: CCOPaths

    static func current() throws -> CommandEnvironment {
        let variables = ProcessEnvironment.current()
        do {
            return CommandEnvironment(variables: variables, paths: try CCOPaths.resolve(environment: variables))
        } catch {
            throw failure(error)
        }
    }

    /// The absolute path of the running `cco`, which the daemon is started as.
    var executable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = system_readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    /// `cco-daemon`, next to this `cco`.
    var daemonExecutable: String { DaemonExecutable.path(besideCLI: executable) }

    var choice: SupervisorChoice {
        SupervisorChoice(paths: paths, executable: executable, environment: variables)
    }

    /// The one supervisor this command talks to.
    func supervisor() -> any DaemonSupervisor { choice.supervisor() }

    func loadConfig() throws -> DaemonConfig {
        do { return try ConfigFile(path: paths.configFile).load() } catch { throw failure(error) }
    }
}
