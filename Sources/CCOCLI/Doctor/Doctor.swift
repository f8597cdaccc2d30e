#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOAnalytics
import CCOCore
import CCOSupervisor
import SystemPackage

/// `cco doctor`: every check a user would make when something is off, each with its fix.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the config, the state files, the daemon, its database, the service unit and Claude Code's settings.",
        discussion: """
            One line per check: ok, warn or fail, and for each problem the exact fix. Exits 0 when \
            nothing fails, 1 otherwise. --fix repairs only what is safe: file modes, a stale PID \
            file, a unit file that differs from what `cco daemon install` writes now.
            """)

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Repair what is safe to repair, and say each thing done.")
    var fix = false

    func run() throws {
        let environment = try CommandEnvironment.current()
        var checks = DoctorChecks(environment: environment).all()
        if fix {
            for index in checks.indices {
                guard checks[index].status != .ok, let repair = checks[index].repair else { continue }
                do {
                    checks[index].fixed = try repair()
                } catch {
                    checks[index].detail += "; --fix failed: \(error)"
                }
            }
        }
        let report = DoctorReport(checks)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.writeBytes(STDOUT_FILENO, Array((try? encoder.encode(report)) ?? Data("{}".utf8)) + [0x0A])
        } else {
            Terminal.write(STDOUT_FILENO, Self.render(report, fixRan: fix))
        }
        if !report.ok { throw ExitCode(1) }
    }

    static func render(_ report: DoctorReport, fixRan: Bool) -> String {
        let width = (report.checks.map(\.name.count).max() ?? 0) + 2
        var text = ""
        for check in report.checks {
            let status = check.fixed != nil ? "fixed" : check.status.rawValue
            let painted = Terminal.colored(status.padding(5), check.fixed != nil || check.status == .ok ? "32" : check.status == .warn ? "33" : "31")
            text += "\(painted) \(check.name.padding(width))\(check.detail)\n"
            let indent = String(repeating: " ", count: 6 + width)
            if let fixed = check.fixed {
                text += "\(indent)\(fixed)\n"
            } else if let fix = check.fix {
                text += "\(indent)fix: \(fix)\(check.repair != nil && !fixRan ? " (cco doctor --fix does it)" : "")\n"
            }
        }
        let repairable = report.checks.filter { $0.status != .ok && $0.fixed == nil && $0.repair != nil }.count
        var summary: [String] = []
        if report.failures > 0 { summary.append("\(report.failures) problem\(report.failures == 1 ? "" : "s")") }
        if report.warnings > 0 { summary.append("\(report.warnings) warning\(report.warnings == 1 ? "" : "s")") }
        let fixed = report.checks.filter { $0.fixed != nil }.count
        if fixed > 0 { summary.append("\(fixed) fixed") }
        text += "\n" + (summary.isEmpty ? "no problems found" : summary.joined(separator: ", "))
        if repairable > 0 && !fixRan { text += "; `cco doctor --fix` repairs \(repairable) of them" }
        return text + "\n"
    }
}

private extension String {
    var trimmed: String { String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }

    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// The checks, in the order a user would look.
struct DoctorChecks {
    let environment: CommandEnvironment
    var paths: CCOPaths { environment.paths }

    func all() -> [DoctorCheck] {
        let (configCheck, config) = self.config()
        var checks = [configCheck]
        checks += stateModes()
        checks.append(adminToken())
        let status = DaemonStatus.read(paths)
        checks.append(daemonProcess(status))
        checks.append(daemonExecutable())
        checks.append(health(status, config: config))
        checks.append(database(config))
        checks.append(claudeCode(status, config: config))
        checks += serviceManager(config)
        return checks
    }

    // MARK: - Config and files

    func config() -> (DoctorCheck, DaemonConfig) {
        let file = paths.configFile
        guard FileSystem.exists(file) else { return (.ok("config", "no \(file): every key has its default"), DaemonConfig()) }
        do {
            return (.ok("config", "\(file) is valid"), try ConfigFile(path: file).load())
        } catch {
            return (.fail("config", error.description, fix: "edit that line; `cco config validate` checks the file again"), DaemonConfig())
        }
    }

    func stateModes() -> [DoctorCheck] {
        guard FileSystem.exists(paths.stateDirectory) else { return [.ok("state files", "\(paths.stateDirectory) does not exist yet")] }
        let loose = StatePermissions.loose(in: paths).filter { $0.path != paths.adminTokenFile }
        guard !loose.isEmpty else { return [.ok("state files", "\(paths.stateDirectory) is 0700 and its files 0600")] }
        return loose.map { problem in
            let mode: mode_t = problem.isDirectory ? 0o700 : 0o600
            return .fail("state files", "\(problem.path) is mode 0\(String(problem.mode, radix: 8)): \(problem.mode & 0o007 != 0 ? "every user" : "your group") can read it",
                         fix: "chmod \(String(mode, radix: 8)) \(problem.path)", repair: { try Self.chmod(problem.path, mode) })
        }
    }

    func adminToken() -> DoctorCheck {
        let file = paths.adminTokenFile
        guard let mode = FileSystem.mode(of: file) else { return .ok("admin token", "not made yet: the daemon makes \(file) at its first start") }
        guard mode == 0o600 else {
            return .fail("admin token", "\(file) is mode 0\(String(mode, radix: 8)), not 0600: whoever can read it can purge the cache and reload the daemon",
                         fix: "chmod 600 \(file)", repair: { try Self.chmod(file, 0o600) })
        }
        return .ok("admin token", "\(file) is 0600")
    }

    static func chmod(_ path: String, _ mode: mode_t) throws -> String {
        guard system_chmod(path, mode) == 0 else { throw failure("cannot chmod \(path): \(Errno(rawValue: errno))") }
        return "chmod \(String(mode, radix: 8)) \(path)"
    }

    // MARK: - The daemon

    func daemonProcess(_ status: DaemonStatus) -> DoctorCheck {
        switch status {
        case .running(let record):
            return .ok("daemon", "running (pid \(record.pid)) on \(DaemonConfig.baseURL(host: record.host, port: record.port))")
        case .starting(let pid):
            let command = ProcessIdentity.of(pid: pid).map(\.command) ?? "?"
            guard command.hasPrefix("cco-daemon") else {
                return .fail("daemon", "\(paths.lockFile) is locked by pid \(pid) (\(command)), which is not a cco daemon",
                             fix: "stop pid \(pid), or give it another CCO_HOME")
            }
            return .warn("daemon", "pid \(pid) holds the lock but has not written \(paths.pidFile) yet (starting, or stuck binding its listener)",
                         fix: "wait a second and run cco doctor again; `cco daemon logs` says what it is doing")
        case .stale(let record):
            let named = record.map { "names pid \($0.pid), which is not running" } ?? "cannot be read"
            let file = paths.pidFile
            return .fail("daemon", "\(file) \(named): the daemon was killed or crashed", fix: "rm \(file); `cco daemon logs` says why it stopped",
                         repair: {
                             do { try FileSystem.remove(file) } catch { throw failure("\(error)") }
                             return "removed \(file)"
                         })
        case .notRunning:
            return .warn("daemon", "not running", fix: "cco daemon start")
        }
    }

    func daemonExecutable() -> DoctorCheck {
        let daemon = environment.daemonExecutable
        guard system_access(daemon, X_OK) == 0 else {
            return .fail("cco-daemon", "\(daemon) is missing or not executable: cco starts the daemon from beside itself",
                         fix: "build both with scripts/start, or copy cco-daemon next to \(environment.executable)")
        }
        let result = ProcessCommandRunner().run(daemon, [DaemonArguments.versionFlag])
        let version = result.output.trimmed
        guard result.status == 0, version == CCOVersion.current else {
            return .fail("cco-daemon", "\(daemon) is version \(version.isEmpty ? "unknown (exit \(result.status))" : version), cco is \(CCOVersion.current)",
                         fix: "rebuild both with scripts/start")
        }
        return .ok("cco-daemon", "\(daemon), version \(version)")
    }

    func health(_ status: DaemonStatus, config: DaemonConfig) -> DoctorCheck {
        if case .starting = status { return .warn("health", "not asked: the daemon is still starting", fix: "run cco doctor again in a second") }
        guard case .running(let record) = status else {
            guard config.port != 0, let owner = PortOwner.find(port: config.port) else {
                return .ok("port", config.port == 0 ? "port = 0: a free port is picked at start" : "\(config.host):\(config.port) is free")
            }
            return .fail("port", "\(config.host):\(config.port) is taken by pid \(owner.pid) (\(owner.command)): the daemon cannot start there",
                         fix: "stop pid \(owner.pid), or `cco config set port N`")
        }
        switch LoopbackHTTPClient.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(2)) {
        case .success(let reply) where reply.status == 200:
            return .ok("health", "/health answers in \(reply.latency.shortText)")
        case .success(let reply):
            return .fail("health", "/health answers \(reply.status): \(reply.body.prefix(200))", fix: "cco daemon logs; cco daemon restart")
        case .failure(let reason):
            return .fail("health", "the daemon (pid \(record.pid)) does not answer on port \(record.port): \(reason)", fix: "cco daemon logs; cco daemon restart")
        }
    }

    func database(_ config: DaemonConfig) -> DoctorCheck {
        guard let location = DatabaseLocation(url: config.databaseURL), location != .memory else {
            return .ok("database", "\(config.databaseURL): analytics in memory only")
        }
        let file = location.path(in: paths)
        guard FileSystem.exists(file) else { return .ok("database", "\(file) does not exist yet: the daemon creates it") }
        do {
            let (integrity, version) = try AnalyticsStore.inspect(file)
            guard integrity == "ok" else {
                return .fail("database", "\(file) fails PRAGMA integrity_check: \(integrity)",
                             fix: "stop the daemon, move \(file) away (it starts a new one), and keep the old file for `sqlite3 .recover`")
            }
            if version > AnalyticsStore.schemaVersion {
                return .fail("database", "\(file) has schema version \(version), newer than this cco's \(AnalyticsStore.schemaVersion)", fix: "use the newer cco, or point database_url elsewhere")
            }
            if version < AnalyticsStore.schemaVersion {
                return .warn("database", "\(file) has schema version \(version); the daemon migrates it to \(AnalyticsStore.schemaVersion) at its next start", fix: "cco daemon restart")
            }
            return .ok("database", "\(file) passes PRAGMA integrity_check, schema version \(version)")
        } catch {
            return .fail("database", "cannot open \(file): \(error)", fix: "fix `database_url` in \(paths.configFile), or move the file away")
        }
    }

    // MARK: - Claude Code

    func claudeCode(_ status: DaemonStatus, config: DaemonConfig) -> DoctorCheck {
        let url: String
        if case .running(let record) = status {
            url = DaemonConfig.baseURL(host: record.host, port: record.port)
        } else if config.port != 0 {
            url = DaemonConfig.baseURL(host: config.host, port: config.port)
        } else {
            return .warn("claude code", "port = 0: the daemon's address changes at each start, so Claude Code cannot be pointed at it", fix: "cco config set port 3000")
        }
        let settings = Setup.ClaudeCode.settingsPath(environment.variables)
        var configured: String?
        if let text = try? FileSystem.readTextIfExists(settings) {
            guard let parsed = try? OrderedJSON.parse(text) else {
                return .warn("claude code", "\(settings) is not valid JSON: Claude Code ignores it", fix: "fix it, then `cco setup claude-code`")
            }
            configured = parsed["env"]?["ANTHROPIC_BASE_URL"]?.stringValue
        }
        if configured == url || environment.variables["ANTHROPIC_BASE_URL"] == url {
            return .ok("claude code", "\(configured == url ? settings : "ANTHROPIC_BASE_URL") points Claude Code at \(url)")
        }
        let found = configured.map { "\(settings) points Claude Code at \($0)" } ?? "Claude Code's settings (\(settings)) and this shell do not set ANTHROPIC_BASE_URL"
        return .warn("claude code", "\(found), not at the daemon (\(url))", fix: "cco setup claude-code")
    }

    // MARK: - The service manager

    func serviceManager(_ config: DaemonConfig) -> [DoctorCheck] {
        let supervisor = environment.supervisor()
        switch supervisor.kind {
        case .standalone: return []
        case .systemd: return systemd(supervisor, config: config)
        case .launchd: return launchd(supervisor, config: config)
        }
    }

    /// Each file `install` would write, against the one on disk.
    func drift(_ supervisor: any DaemonSupervisor, config: DaemonConfig, name: String) -> [DoctorCheck] {
        supervisor.planInstall(config: config).files.map { file in
            guard case .success(let wanted) = file.content else { return .warn(name, "\(file.path): cannot be rendered here") }
            let onDisk = (try? FileSystem.readTextIfExists(file.path)) ?? nil
            guard onDisk != wanted else { return .ok(name, "\(file.path) is what `cco daemon install` writes") }
            let what = onDisk == nil ? "is missing" : "differs from what `cco daemon install` writes now (\(Self.firstDifference(onDisk!, wanted)))"
            return .fail(name, "\(file.path) \(what)", fix: "cco daemon install", repair: {
                do { _ = try supervisor.install(config: config) } catch { throw failure("\(error)") }
                return "re-rendered \(file.path) (cco daemon install)"
            })
        }
    }

    /// `line 7: ExecStart=/old/path/cco daemon run`: the first line that differs, as on disk.
    static func firstDifference(_ disk: String, _ wanted: String) -> String {
        let a = disk.split(separator: "\n", omittingEmptySubsequences: false), b = wanted.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0 ..< max(a.count, b.count) where index >= a.count || index >= b.count || a[index] != b[index] {
            let line = index < a.count ? String(a[index]) : "(end of file)"
            let want = index < b.count ? String(b[index]) : "(end of file)"
            return "line \(index + 1): \(line.prefix(100)), expected \(want.prefix(100))"
        }
        return "whitespace"
    }

    func systemd(_ supervisor: any DaemonSupervisor, config: DaemonConfig) -> [DoctorCheck] {
        var checks = drift(supervisor, config: config, name: "unit file")
        let report: DaemonStatusReport
        do {
            report = try supervisor.status()
        } catch {
            checks.append(.fail("user bus", error.description, fix: "log in as the user, or `loginctl enable-linger` and export XDG_RUNTIME_DIR=/run/user/$(id -u)"))
            return checks
        }
        checks.append(.ok("user bus", "the systemd user manager answers"))
        if case .systemd(let unit) = report {
            let service = unit.service
            let state = "\(service.unitFileState), \(service.activeState) (\(service.subState))"
            switch (service.state, service.unitFileState) {
            case (.dead, _):
                let last = unit.lastLogLines.last.map { "; last log line: \($0)" } ?? ""
                checks.append(.fail("unit", "\(service.name) is \(state): \(unit.explanation)\(last)",
                                    fix: service.failedOnConfig ? "fix the config (cco config validate), then cco daemon restart" : "cco daemon logs; then cco daemon restart"))
            case (_, let file) where file != "enabled" && file != "static":
                checks.append(.warn("unit", "\(service.name) is \(state): it does not start at login", fix: "cco daemon enable"))
            case (.running, _):
                checks.append(.ok("unit", "\(service.name) is \(state), pid \(service.mainPID), restarts \(service.restarts)"))
            default:
                checks.append(.warn("unit", "\(service.name) is \(state)", fix: "cco daemon start"))
            }
        }
        if let systemd = supervisor as? SystemdSupervisor, let user = systemd.lingerOffUser() {
            checks.append(.warn("lingering", "off for \(user): the daemon does not run before you log in, and stops when your last session ends",
                                fix: "loginctl enable-linger \(user)"))
        } else {
            checks.append(.ok("lingering", "on, or not decidable here"))
        }
        do {
            var lines = 0
            _ = try supervisor.logs(last: 1, follow: false) { _ in lines += 1 }
            checks.append(lines > 0 ? .ok("journal", "the unit's entries are readable") : .warn("journal", "no entries for the unit yet", fix: "cco daemon start"))
        } catch {
            checks.append(.fail("journal", "cannot read the unit's journal: \(error.detail)", fix: "add yourself to the systemd-journal group, or check journald"))
        }
        checks.append(securityExposure())
        return checks
    }

    /// `systemd-analyze security --user`'s overall exposure of the unit (0 safe … 10 exposed).
    func securityExposure() -> DoctorCheck {
        let result = ProcessCommandRunner().run("/usr/bin/env", ["systemd-analyze", "security", "--user", "--no-pager", SystemdUserUnits.serviceName])
        let plain = result.output.replacing(/\u{1B}\[[0-9;]*m/, with: "")
        guard let match = plain.firstMatch(of: /Overall exposure level for \S+: ([0-9.]+) *([A-Z]*)/), let score = Double(match.output.1) else {
            return .warn("security", "systemd-analyze security gave no rating (exit \(result.status))", fix: "install systemd's systemd-analyze")
        }
        let text = "systemd-analyze security --user rates the unit \(match.output.1) \(match.output.2)"
        return score <= 5.5 ? .ok("security", text) : .warn("security", text + " (cco's unit rates 5.0)", fix: "cco daemon install writes the hardened unit again")
    }

    func launchd(_ supervisor: any DaemonSupervisor, config: DaemonConfig) -> [DoctorCheck] {
        var checks = drift(supervisor, config: config, name: "launch agent")
        do {
            if case .launchd(let agent) = try supervisor.status() {
                checks.append(agent.loaded ? .ok("launch agent", "\(agent.label) is loaded (\(agent.launchdState ?? "state unknown"))")
                              : .fail("launch agent", "\(agent.label) is not loaded", fix: "cco daemon install"))
            }
        } catch {
            checks.append(.fail("launch agent", error.description, fix: "cco daemon install"))
        }
        return checks
    }
}
