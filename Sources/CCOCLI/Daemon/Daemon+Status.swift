#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the daemon runs, where, and whether it is healthy.",
            discussion: "Exit status: 0 running, 1 dead with a PID file left behind, 3 not running, 4 unknown.")

        @Flag(help: "Print one JSON object on stdout.")
        var json = false

        func run() throws {
            let environment = try CommandEnvironment.current()
            if let agent = environment.installedLaunchAgent() {
                try LaunchAgentCommands.status(agent, json: json)
                return
            }
            if let (service, manager) = try environment.managedService() {
                let status: UnitStatus, socket: UnitStatus?
                do {
                    status = try service.status(manager: manager)
                    socket = try service.socketStatus(manager: manager)
                } catch { throw failure(error) }
                let report = ManagedStatusReport(service: service, unit: status, socket: socket, paths: environment.paths)
                Terminal.out(json ? report.json() : report.text())
                if report.exitCode != .success { throw report.exitCode }
                return
            }
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

    /// - Parameter mode: who runs the daemon: `standalone`, or `launchd` when an agent does.
    func json(mode: String = "standalone") -> String {
        var object: [String: JSONValue] = [
            "state": .string(state), "mode": .string(mode),
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

/// `cco daemon status` with the systemd unit installed: the unit's state from the manager, the
/// address and health from the daemon, and after a failure the reason in words and the last log lines.
struct ManagedStatusReport {
    let service: SystemdUserService
    let unit: UnitStatus
    /// `cco-daemon.socket`, with socket activation.
    let socket: UnitStatus?
    let paths: CCOPaths
    let record: PIDRecord?
    let health: Result<HealthProbe.Reply, ProbeFailure>?
    let watchdog: Int?

    init(service: SystemdUserService, unit: UnitStatus, socket: UnitStatus? = nil, paths: CCOPaths) {
        self.service = service
        self.unit = unit
        self.socket = socket
        self.paths = paths
        let record = (try? PIDFile(path: paths.pidFile).read()).flatMap { $0 }.flatMap { $0.pid == Int32(unit.mainPID) ? $0 : nil }
        self.record = record
        health = record.map { HealthProbe.get(host: $0.host, port: $0.port, path: "/health", timeout: .seconds(2)) }
        watchdog = unit.watchdogUsec > 0 ? Int(unit.watchdogUsec / 1_000_000) : nil
    }

    var isActive: Bool { unit.activeState == "active" || unit.activeState == "reloading" }

    var exitCode: ExitCode {
        if isActive { return .success }
        return unit.activeState == "failed" ? .deadWithPIDFile : .notRunning
    }

    func text() -> String {
        let bullet = Terminal.colored("●", isActive ? "32" : (unit.activeState == "failed" ? "31" : "0"))
        var lines = ["\(bullet) \(service.unitName) (systemd user unit, \(unit.unitFileState.isEmpty ? "not enabled" : unit.unitFileState))"]
        if let socket {
            let listening = socket.activeState == "active"
            lines.append("  socket: \(service.socketUnitName) \(socket.activeState) (\(socket.subState)), \(socket.unitFileState.isEmpty ? "not enabled" : socket.unitFileState)"
                + (listening && !isActive ? ": the first connection starts the daemon" : ""))
        }
        if isActive {
            let since = unit.activeEnterTimestamp > 0 ? " since \(TimeText.local(Date(timeIntervalSince1970: Double(unit.activeEnterTimestamp) / 1e6)))" : ""
            lines.append("  \(unit.activeState) (\(unit.subState))\(since), pid \(unit.mainPID), restarts: \(unit.restarts)")
            if !unit.statusText.isEmpty { lines.append("  status: \"\(unit.statusText)\"") }
            let healthText: String = switch health {
            case .success(let reply) where reply.status == 200: "ok (\(reply.latency.shortText))"
            case .success(let reply): "failing (HTTP \(reply.status))"
            case .failure(let failure): "failing (\(failure))"
            case nil: "unknown (no PID record for pid \(unit.mainPID))"
            }
            lines.append("  address: \(record?.baseURL ?? "unknown")   health: \(healthText)   watchdog: \(watchdog.map { "\($0) s" } ?? "off")")
        } else {
            lines.append("  \(unit.activeState) (\(unit.subState)): \(SystemdUserService.explain(unit)), restarts: \(unit.restarts)")
            if let entries = try? lastJournalLines(5), !entries.isEmpty {
                lines.append("  last log lines:")
                lines += entries.map { "    " + $0 }
            }
            if unit.activeState == "failed" {
                lines.append(unit.execMainStatus == DaemonExitStatus.configError
                    ? "  hint: fix the config (cco config validate), then `cco daemon restart`"
                    : "  hint: `cco daemon logs` shows more; `cco daemon restart` starts it again")
            }
        }
        lines.append("  config: \(paths.configFile)")
        lines.append("    logs: journalctl --user -u \(service.unitName) (cco daemon logs -f)")
        return lines.joined(separator: "\n")
    }

    func lastJournalLines(_ count: Int) throws -> [String] {
        let reader = try JournalReader()
        try reader.matchUserUnit(service.unitName)
        return try reader.last(count).map(JournalLine.format)
    }

    func json() -> String {
        var object: [String: JSONValue] = [
            "state": .string(isActive ? "running" : (unit.activeState == "failed" ? "dead" : "stopped")),
            "mode": .string("systemd"), "unit": .string(service.unitName),
            "active_state": .string(unit.activeState), "sub_state": .string(unit.subState),
            "unit_file_state": .string(unit.unitFileState), "result": .string(unit.result),
            "pid": .number(Double(unit.mainPID)), "restarts": .number(Double(unit.restarts)),
            "status_text": .string(unit.statusText), "exec_main_status": .number(Double(unit.execMainStatus)),
            "config": .string(paths.configFile),
        ]
        if let record {
            object["url"] = .string(record.baseURL)
            object["host"] = .string(record.host)
            object["port"] = .number(Double(record.port))
            object["version"] = .string(record.version)
        }
        if case .success(let reply) = health {
            object["health"] = .object(["ok": .bool(reply.status == 200), "http_status": .number(Double(reply.status))])
        } else if case .failure(let failure) = health {
            object["health"] = .object(["ok": .bool(false), "error": .string(failure.description)])
        }
        return JSONValue.object(object).encoded
    }
}

/// One journal entry in the same shape as a line of `daemon.log`.
enum JournalLine {
    static func format(_ entry: JournalEntry) -> String {
        let seconds = Double(entry.realtimeMicroseconds) / 1e6
        let level = switch entry.priority {
        case .debug?: "debug"
        case .info?: "info"
        case .notice?: "notice"
        case .warning?: "warning"
        case .error?: "error"
        case .critical?, .alert?, .emergency?: "critical"
        case nil: "info"
        }
        return "\(Date(timeIntervalSince1970: seconds).formatted(.iso8601)) \(level) \(entry.identifier ?? "?"): \(entry.message)"
    }
}
