#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read the config without a restart (log level, log rotation); an invalid config is refused.")

        func run() throws {
            let environment = try CommandEnvironment.current()
            // Refuse a broken config here, with its file:line message; the daemon would refuse it too.
            _ = try environment.loadConfig()
            if let (service, manager) = try environment.managedService() {
                do {
                    let status = try service.reload(manager: manager)
                    Terminal.out("reloaded \(service.unitName) (pid \(status.mainPID)): \(status.statusText)")
                } catch {
                    throw failure(error)
                }
                return
            }
            guard case .running(let record) = DaemonStatus.read(environment.paths) else {
                throw failure("not running; nothing to reload", .notRunning)
            }
            // POST /api/reload reports what the reload did; SIGHUP is the fallback for a daemon
            // without an admin token (one from an older cco).
            if let token = try? FileSystem.readTextIfExists(environment.paths.adminTokenFile)?.filter({ !$0.isWhitespace }),
               case .success(let reply) = HealthProbe.post(host: record.host, port: record.port, path: "/api/reload",
                                                           headers: [("Authorization", "Bearer \(token)")]),
               reply.status == 200, let outcome = ReloadReply(json: reply.body) {
                guard outcome.reloaded else { throw failure("the daemon (pid \(record.pid)) refused the reload: \(outcome.status)", .configError) }
                Terminal.out("\(outcome.status) (pid \(record.pid))")
                return
            }
            guard kill(record.pid, SIGHUP) == 0 else {
                throw failure("cannot signal the daemon (pid \(record.pid)): errno \(errno)")
            }
            Terminal.out("reload requested (pid \(record.pid)); `cco daemon logs` shows the outcome")
        }
    }

    /// The answer of `POST /api/reload`: `{"reloaded":true,"status":"…"}`.
    struct ReloadReply: Decodable {
        let reloaded: Bool
        let status: String

        init?(json: String) {
            guard let reply = try? JSONDecoder().decode(ReloadReply.self, from: Data(json.utf8)) else { return nil }
            self = reply
        }
    }
}
