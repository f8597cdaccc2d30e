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
public import CCOCore
import SystemPackage

extension StandaloneSupervisor {
    /// Asks the daemon to re-read its config through `POST /api/reload`, which reports what the
    /// reload did; SIGHUP is the fallback for a daemon without an admin token (one from an older cco).
    public func reload() throws(DaemonError) -> ReloadOutcome {
        try Self.reload(paths)
    }

    /// The reload of the daemon that runs for `paths`, however it was started (launchd has no
    /// reload of its own).
    static func reload(_ paths: CCOPaths) throws(DaemonError) -> ReloadOutcome {
        guard case .running(let record) = DaemonStatus.read(paths) else {
            throw DaemonError(.notRunning, "not running; nothing to reload")
        }
        if let token = try? FileSystem.readTextIfExists(paths.adminTokenFile)?.filter({ !$0.isWhitespace }),
           case .success(let reply) = LoopbackHTTPClient.post(host: record.host, port: record.port, path: "/api/reload",
                                                       headers: [("Authorization", "Bearer \(token)")]),
           reply.status == 200, let outcome = ReloadReply(json: reply.body) {
            guard outcome.reloaded else { throw DaemonError(.config, "the daemon (pid \(record.pid)) refused the reload: \(outcome.status)") }
            return .reloaded(service: nil, pid: record.pid, status: outcome.status)
        }
        guard system_kill(record.pid, SIGHUP) == 0 else {
            throw DaemonError(.stopFailed, "cannot signal the daemon (pid \(record.pid)): \(Errno(rawValue: errno))")
        }
        return .requested(pid: record.pid)
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
