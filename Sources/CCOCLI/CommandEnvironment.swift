#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

/// What every command needs from the process: the environment, the state paths, this executable.
struct CommandEnvironment {
    let variables: [String: String]
    let paths: CCOPaths

    static func current() throws -> CommandEnvironment {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                variables[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        do {
            return CommandEnvironment(variables: variables, paths: try CCOPaths.resolve(environment: variables))
        } catch {
            throw failure(error)
        }
    }

    /// The absolute path of the running `cco`, which the daemon is started as.
    var executable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    var controller: DaemonController {
        DaemonController(paths: paths, executable: executable, environment: variables)
    }

    var systemdService: SystemdUserService {
        SystemdUserService(paths: paths, executable: executable, environment: variables)
    }

    /// The unit and a connection to its manager when the unit is installed; nil when cco runs standalone.
    func managedService() throws -> (service: SystemdUserService, manager: UnitManager)? {
        let service = systemdService
        guard service.isInstalled else { return nil }
        do { return (service, try service.connect()) } catch { throw failure(error) }
    }

    func loadConfig() throws -> DaemonConfig {
        do { return try ConfigFile(path: paths.configFile).load() } catch { throw failure(error) }
    }
}
