#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOGateway
import Hummingbird
import NIOCore

/// `GET /health` and `GET /ready`.
struct HealthRoutes: Sendable {
    struct Health: ResponseEncodable {
        let status: String
        let database: String
        let version: String
        let pid: Int32
        let uptime_s: Double
        let started_at: String
    }

    struct Readiness: ResponseEncodable {
        let status: String
    }

    let identity: DaemonIdentity
    let state: ServingState
    /// Why the analytics database does not answer, or nil when it does.
    var databaseProblem: @Sendable () -> String? = { nil }

    func register(on router: Router<ConnectionContext>) {
        router.get("/health") { _, _ -> EditedResponse<Health> in
            // A database that does not answer makes the daemon unhealthy, so that the watchdog
            // (which probes /health) lets systemd restart it.
            let problem = databaseProblem()
            return EditedResponse(status: problem == nil ? .ok : .serviceUnavailable, response: Health(
                status: problem == nil ? "ok" : "unhealthy", database: problem ?? "ok", version: identity.version, pid: identity.pid,
                uptime_s: identity.uptimeSeconds,
                started_at: identity.startedAtText))
        }
        router.get("/ready") { _, _ -> EditedResponse<Readiness> in
            let phase = state.current
            return EditedResponse(
                status: phase == .serving ? .ok : .serviceUnavailable,
                response: Readiness(status: phase == .serving ? "ready" : phase.name))
        }
    }
}

/// Facts about this daemon process that do not change while it runs.
struct DaemonIdentity: Sendable {
    let pid: Int32
    let version: String
    let startedAt: Date
    let startInstant: ContinuousClock.Instant
    let clock = ContinuousClock()
    let startedAtText: String

    init(pid: Int32, version: String, startedAt: Date = Date()) {
        self.pid = pid
        self.version = version
        self.startedAt = startedAt
        self.startInstant = ContinuousClock().now
        self.startedAtText = startedAt.formatted(.iso8601)
    }

    /// Seconds since the start, to the millisecond.
    var uptimeSeconds: Double { ((clock.now - startInstant).seconds * 1000).rounded() / 1000 }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
