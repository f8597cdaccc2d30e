#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import CCOCore

extension Daemon {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the daemon runs, where, and whether it is healthy.",
            discussion: "Exit status: 0 running, 1 dead with a PID file left behind, 3 not running, 4 unknown.")

        @Flag(help: "Print one JSON object on stdout.")
        var json = false

        func run() async throws {
            let environment = try CommandEnvironment.current()
            let report = StatusReport.gather(environment.paths)
            if json {
                Terminal.out(report.json())
            } else {
                Terminal.out(report.text())
            }
            if report.exitCode != .success { throw report.exitCode }
        }
    }
}

/// Everything `cco daemon status` shows, gathered once and printed as text or JSON.
struct StatusReport {
    let paths: CCOPaths
    let status: DaemonStatus
    let health: Result<HealthProbe.Reply, ProbeFailure>?
    let now: Date

    static func gather(_ paths: CCOPaths) -> StatusReport {
        let status = DaemonStatus.read(paths)
        var health: Result<HealthProbe.Reply, ProbeFailure>?
        if case .running(let record) = status {
            health = HealthProbe.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(2))
        }
        return StatusReport(paths: paths, status: status, health: health, now: Date())
    }

    var exitCode: ExitCode {
        switch status {
        case .running: .success
        case .stale: .deadWithPIDFile
        case .notRunning, .starting: .notRunning
        }
    }

    var state: String {
        switch status {
        case .running: "running"
        case .starting: "starting"
        case .stale: "dead"
        case .notRunning: "stopped"
        }
    }

    var healthText: String? {
        switch health {
        case .success(let reply) where reply.status == 200: "ok (\(reply.latency.shortText))"
        case .success(let reply): "failing (HTTP \(reply.status))"
        case .failure(let failure): "failing (\(failure))"
        case nil: nil
        }
    }

    func text() -> String {
        let bullet = Terminal.colored("●", status.livePID != nil ? "32" : (exitCode == .deadWithPIDFile ? "31" : "0"))
        var lines: [String] = []
        switch status {
        case .running(let record):
            lines.append("\(bullet) cco daemon: running (standalone)")
            lines.append("     pid: \(record.pid), since \(TimeText.local(record.startedAt)) (\(TimeText.ago(record.startedAt, now: now)))")
            lines.append(" address: \(record.baseURL)   health: \(healthText ?? "unknown")")
            lines.append(" version: \(record.version)")
        case .starting(let pid):
            lines.append("\(bullet) cco daemon: starting (pid \(pid)), not listening yet")
        case .stale(let record):
            lines.append("\(bullet) cco daemon: dead, but its PID file is left behind")
            if let record {
                lines.append("     pid: \(record.pid) (not running), started \(TimeText.local(record.startedAt))")
            }
            lines.append("    hint: `cco daemon start` removes it and starts again; see `cco daemon logs` for why it died")
        case .notRunning:
            lines.append("\(bullet) cco daemon: not running")
        }
        if status != .notRunning {
            lines.append("  config: \(paths.configFile)")
            lines.append("    logs: \(paths.logFile) (cco daemon logs -f)")
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: JSONValue] = [
            "state": .string(state), "mode": .string("standalone"),
            "config": .string(paths.configFile), "log": .string(paths.logFile),
        ]
        switch status {
        case .running(let record):
            object["pid"] = .number(Double(record.pid))
            object["host"] = .string(record.host)
            object["port"] = .number(Double(record.port))
            object["url"] = .string(record.baseURL)
            object["version"] = .string(record.version)
            object["started_at"] = .string(record.startedAt.formatted(.iso8601))
            object["uptime_s"] = .number(now.timeIntervalSince(record.startedAt).rounded())
        case .starting(let pid):
            object["pid"] = .number(Double(pid))
        case .stale(let record):
            object["pid"] = record.map { .number(Double($0.pid)) } ?? .null
        case .notRunning:
            break
        }
        switch health {
        case .success(let reply):
            object["health"] = .object(["ok": .bool(reply.status == 200), "http_status": .number(Double(reply.status)),
                                        "latency_ms": .number((reply.latency.milliseconds * 100).rounded() / 100)])
        case .failure(let failure):
            object["health"] = .object(["ok": .bool(false), "error": .string(failure.description)])
        case nil:
            break
        }
        return JSONValue.object(object).encoded
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
