#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Status: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the daemon runs, where, and whether it is healthy.",
            discussion: "Exit status: 0 running, 1 dead with a PID file left behind, 3 not running, 4 unknown.")

        @Flag(help: "Print one JSON object on stdout.")
        var json = false

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let report: DaemonStatusReport
            do { report = try supervisor.status() } catch { throw console.failure(error) }
            switch report {
            case .standalone(let process):
                console.out(json ? ProcessStatusText(process).json() : ProcessStatusText(process).text())
            case .systemd(let unit):
                console.out(json ? UnitStatusText(unit).json() : UnitStatusText(unit).text())
            case .launchd(let agent):
                if json {
                    console.out(ProcessStatusText(agent.daemon).json(mode: "launchd"))
                } else {
                    let loaded = agent.loaded ? "loaded, \(agent.launchdState ?? "unknown state")" : "not loaded"
                    console.out("● \(agent.label) (launchd agent, \(loaded)\(agent.lastExitStatus.map { ", last exit status \($0)" } ?? ""))")
                    console.out(ProcessStatusText(agent.daemon).text().split(separator: "\n").dropFirst().joined(separator: "\n"))
                }
            }
            let code = ExitCode(report.state)
            if code != .success { throw code }
        }
    }
}

/// A ``ProcessReport`` (standalone, or the process under launchd) as text or JSON.
struct ProcessStatusText {
    let report: ProcessReport
    init(_ report: ProcessReport) { self.report = report }

    var healthText: String? {
        switch report.health {
        case .success(let reply) where reply.status == 200: "ok (\(reply.latency.shortText))"
        case .success(let reply): "failing (HTTP \(reply.status))"
        case .failure(let failure): "failing (\(failure))"
        case nil: nil
        }
    }

    func text() -> String {
        let status = report.status
        let bullet = Terminal.colored("●", status.livePID != nil ? "32" : (report.state == .dead ? "31" : "0"))
        var lines: [String] = []
        switch status {
        case .running(let record):
            lines.append("\(bullet) cco daemon: running (standalone)")
            lines.append("     pid: \(record.pid), since \(TimeText.local(record.startedAt)) (\(TimeText.ago(record.startedAt, now: report.now)))")
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
        lines += Self.finishingLines(report.finishing, now: report.now)
        if status != .notRunning || !report.finishing.isEmpty {
            lines.append("  config: \(report.paths.configFile)")
            lines.append("    logs: \(report.paths.logFile) (cco daemon logs -f)")
        }
        return lines.joined(separator: "\n")
    }

    /// One line per daemon a restart replaced that still finishes its requests.
    static func finishingLines(_ records: [DrainRecord], now: Date) -> [String] {
        records.map { record in
            let why = record.reason == .replaced ? "replaced by a restart" : "stopping"
            return " finishing: pid \(record.pid) (\(why) \(TimeText.ago(record.since, now: now))): \(record.inProgress) in progress, cut in \(record.secondsUntilCut(now: now)) s (drain_timeout)"
        }
    }

    static func json(_ record: DrainRecord) -> JSONValue {
        var object: [String: JSONValue] = [:]
        object["pid"] = .number(Double(record.pid))
        object["reason"] = .string(record.reason.rawValue)
        object["since"] = .string(record.since.formatted(.iso8601))
        object["cut_at"] = .string(record.cutAt.formatted(.iso8601))
        object["requests"] = .number(Double(record.requests))
        object["streams"] = .number(Double(record.streams))
        return .object(object)
    }

    /// - Parameter mode: who runs the daemon: `standalone`, or `launchd` when an agent does.
    func json(mode: String = "standalone") -> String {
        var object: [String: JSONValue] = [
            "state": .string(report.state.rawValue), "mode": .string(mode),
            "config": .string(report.paths.configFile), "log": .string(report.paths.logFile),
        ]
        switch report.status {
        case .running(let record):
            object["pid"] = .number(Double(record.pid))
            object["host"] = .string(record.host)
            object["port"] = .number(Double(record.port))
            object["url"] = .string(record.baseURL)
            object["version"] = .string(record.version)
            object["started_at"] = .string(record.startedAt.formatted(.iso8601))
            object["uptime_s"] = .number(report.now.timeIntervalSince(record.startedAt).rounded())
        case .starting(let pid):
            object["pid"] = .number(Double(pid))
        case .stale(let record):
            object["pid"] = record.map { .number(Double($0.pid)) } ?? .null
        case .notRunning:
            break
        }
        object["finishing"] = .array(report.finishing.map(Self.json))
        switch report.health {
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

/// A systemd ``UnitReport`` as text or JSON: the unit's state, the daemon's address and health, and
/// after a failure the reason in words and the last log lines.
struct UnitStatusText {
    let report: UnitReport
    init(_ report: UnitReport) { self.report = report }

    var unit: UnitSnapshot { report.service }
    var isActive: Bool { unit.state == .running }

    func text() -> String {
        let bullet = Terminal.colored("●", isActive ? "32" : (unit.state == .dead ? "31" : "0"))
        var lines = ["\(bullet) \(unit.name) (systemd user unit, \(unit.unitFileState.isEmpty ? "not enabled" : unit.unitFileState))"]
        if let socket = report.socket {
            let listening = socket.activeState == "active"
            lines.append("  socket: \(socket.name) \(socket.activeState) (\(socket.subState)), \(socket.unitFileState.isEmpty ? "not enabled" : socket.unitFileState)"
                + (listening && !isActive ? ": the first connection starts the daemon" : ""))
        }
        if isActive {
            let since = unit.activeSince.map { " since \(TimeText.local($0))" } ?? ""
            lines.append("  \(unit.activeState) (\(unit.subState))\(since), pid \(unit.mainPID), restarts: \(unit.restarts)")
            if !unit.statusText.isEmpty { lines.append("  status: \"\(unit.statusText)\"") }
            let healthText: String = switch report.health {
            case .success(let reply) where reply.status == 200: "ok (\(reply.latency.shortText))"
            case .success(let reply): "failing (HTTP \(reply.status))"
            case .failure(let failure): "failing (\(failure))"
            case nil: "unknown (no PID record for pid \(unit.mainPID))"
            }
            lines.append("  address: \(report.record?.baseURL ?? "unknown")   health: \(healthText)   watchdog: \(unit.watchdogSeconds.map { "\($0) s" } ?? "off")")
        } else {
            lines.append("  \(unit.activeState) (\(unit.subState)): \(report.explanation), restarts: \(unit.restarts)")
            if !report.lastLogLines.isEmpty {
                lines.append("  last log lines:")
                lines += report.lastLogLines.map { "    " + $0 }
            }
            if unit.state == .dead {
                lines.append(unit.failedOnConfig
                    ? "  hint: fix the config (cco config validate), then `cco daemon restart`"
                    : "  hint: `cco daemon logs` shows more; `cco daemon restart` starts it again")
            }
        }
        lines += ProcessStatusText.finishingLines(report.finishing, now: Date())
        lines.append("  config: \(report.paths.configFile)")
        lines.append("    logs: journalctl --user -u \(unit.name) (cco daemon logs -f)")
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: JSONValue] = [
            "state": .string(unit.state.rawValue),
            "mode": .string("systemd"), "unit": .string(unit.name),
            "active_state": .string(unit.activeState), "sub_state": .string(unit.subState),
            "unit_file_state": .string(unit.unitFileState), "result": .string(unit.result),
            "pid": .number(Double(unit.mainPID)), "restarts": .number(Double(unit.restarts)),
            "status_text": .string(unit.statusText), "exec_main_status": .number(Double(unit.execMainStatus)),
            "config": .string(report.paths.configFile),
            "finishing": .array(report.finishing.map(ProcessStatusText.json)),
        ]
        if let record = report.record {
            object["url"] = .string(record.baseURL)
            object["host"] = .string(record.host)
            object["port"] = .number(Double(record.port))
            object["version"] = .string(record.version)
        }
        if case .success(let reply) = report.health {
            object["health"] = .object(["ok": .bool(reply.status == 200), "http_status": .number(Double(reply.status))])
        } else if case .failure(let failure) = report.health {
            object["health"] = .object(["ok": .bool(false), "error": .string(failure.description)])
        }
        return JSONValue.object(object).encoded
    }
}
