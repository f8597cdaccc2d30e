public import CCOCore
import SystemPackage

/// cco as a macOS LaunchAgent, controlled with today's launchctl verbs (`bootstrap`, `bootout`,
/// `kickstart`, `enable`, `disable`, `print`). Everything but the final process spawn is pure Swift,
/// so the whole plan is built and tested on Linux through an injected ``CommandRunner``.
public struct LaunchAgent: Sendable {
    public let paths: CCOPaths
    public let executable: String
    public let environment: [String: String]
    public let uid: UInt32
    public let runner: any CommandRunner
    public var launchctl = "/bin/launchctl"
    /// Waits between `bootout` retries (injected: tests do not sleep).
    public var pause: @Sendable (Duration) -> Void = { sleepFor($0) }
    /// How many times `bootout` is retried while launchd reports the operation in progress.
    public var bootoutAttempts = 10

    public init(paths: CCOPaths, executable: String, environment: [String: String], uid: UInt32, runner: any CommandRunner) {
        self.paths = paths
        self.executable = executable
        self.environment = environment
        self.uid = uid
        self.runner = runner
        if let override = environment["CCO_LAUNCHCTL"] { launchctl = override }
    }

    public var label: String { LaunchdPlist.label }
    public var plistPath: String { LaunchdPlist.path(home: environment["HOME"] ?? "") }
    public var isInstalled: Bool { FileSystem.exists(plistPath) }

    /// `gui/UID` in a desktop session; `user/UID` when there is none (ssh), where `print gui/UID` fails.
    public func domain() -> String {
        runner.run(launchctl, ["print", "gui/\(uid)"]).status == 0 ? "gui/\(uid)" : "user/\(uid)"
    }

    func target(_ domain: String) -> String { domain + "/" + label }

    func isLoaded(_ domain: String) -> Bool {
        runner.run(launchctl, ["print", target(domain)]).status == 0
    }

    public func plist(config: DaemonConfig) -> LaunchdPlist {
        LaunchdPlist(executable: executable, stateDirectory: paths.stateDirectory,
                     ccoHome: environment["CCO_HOME"].map { _ in paths.stateDirectory }, config: config)
    }

    public struct InstallOutcome: Sendable, Hashable {
        public var file: FileChange
        public var domain: String
        public var enabled: Bool
    }

    /// Writes the agent (atomically; "unchanged" when identical), reloads it into launchd when it
    /// changed or is not loaded, and with `auto_start` enables it (persisted across reboots).
    /// With `dryRun`, nothing is written; the runner (a recording one) sees the commands.
    public func install(config: DaemonConfig, dryRun: Bool = false) throws(DaemonError) -> InstallOutcome {
        let text = plist(config: config).render()
        let change: FileChange
        if dryRun {
            let existing = try? FileSystem.readTextIfExists(plistPath)
            change = existing == nil ? .written : (existing == text ? .unchanged : .updated)
        } else {
            try paths.prepareStateDirectory()
            do {
                try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: plistPath), mode: 0o755)
                change = try FileChange.write(text, to: plistPath)
            } catch {
                throw DaemonError(.stateDirectory, "\(error)")
            }
        }
        let domain = domain()
        let loaded = isLoaded(domain)
        if config.autoStart { try launchctl(["enable", target(domain)], "enable") }
        if loaded && change != .unchanged { try bootout(domain) }
        if !loaded || change != .unchanged { try launchctl(["bootstrap", domain, plistPath], "bootstrap") }
        return InstallOutcome(file: change, domain: domain, enabled: config.autoStart)
    }

    /// Unloads the agent (retrying while launchd is busy with it) and removes the file.
    public func uninstall() throws(DaemonError) -> [String] {
        var notes: [String] = []
        let domain = domain()
        if isLoaded(domain) {
            try bootout(domain)
            notes.append("unloaded \(target(domain))")
        }
        if isInstalled {
            do { try FileSystem.remove(plistPath) } catch { throw DaemonError(.stateDirectory, "\(error)") }
            notes.append("removed \(plistPath)")
        }
        return notes
    }

    public func enable(now: Bool) throws(DaemonError) {
        let domain = domain()
        try launchctl(["enable", target(domain)], "enable")
        if now { try start(domain: domain) }
    }

    public func disable(now: Bool) throws(DaemonError) {
        let domain = domain()
        try launchctl(["disable", target(domain)], "disable")
        if now && isLoaded(domain) { try bootout(domain) }
    }

    /// Loads the agent when needed, then `kickstart` (which starts it if it is not running).
    public func start() throws(DaemonError) {
        try start(domain: domain())
    }

    private func start(domain: String) throws(DaemonError) {
        if !isLoaded(domain) { try launchctl(["bootstrap", domain, plistPath], "bootstrap") }
        try launchctl(["kickstart", target(domain)], "kickstart")
    }

    /// `bootout`: stops the daemon (SIGTERM, then SIGKILL) and unloads it, so `KeepAlive` cannot undo it.
    public func stop() throws(DaemonError) {
        let domain = domain()
        if isLoaded(domain) { try bootout(domain) }
    }

    /// `kickstart -k`: kills the running instance and starts a new one.
    public func restart() throws(DaemonError) {
        let domain = domain()
        if !isLoaded(domain) { try launchctl(["bootstrap", domain, plistPath], "bootstrap") }
        try launchctl(["kickstart", "-k", target(domain)], "kickstart -k")
    }

    public struct Status: Sendable, Hashable {
        public var loaded: Bool
        public var state: String?
        public var pid: Int32?
        public var lastExitStatus: Int32?
    }

    /// `launchctl print`: state, pid and last exit status.
    public func status() -> Status {
        let result = runner.run(launchctl, ["print", target(domain())])
        guard result.status == 0 else { return Status(loaded: false) }
        return Self.parsePrint(result.output)
    }

    /// Reads `state = running`, `pid = 123`, `last exit code = 78` from `launchctl print` output.
    static func parsePrint(_ output: String) -> Status {
        var status = Status(loaded: true)
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingBlanks() }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "state": status.state = status.state ?? parts[1]
            case "pid": status.pid = status.pid ?? Int32(parts[1])
            case "last exit code": status.lastExitStatus = status.lastExitStatus ?? Int32(parts[1].prefix { $0 == "-" || $0.isNumber })
            default: break
            }
        }
        return status
    }

    // MARK: - launchctl

    /// launchd answers `bootout` with 36 (EINPROGRESS) or 37 (EALREADY) while the job is still
    /// starting or stopping; retry. 3 (ESRCH) and 113 mean it was not loaded: done.
    private func bootout(_ domain: String) throws(DaemonError) {
        var last = CommandResult(status: 0, output: "")
        for attempt in 0 ..< bootoutAttempts {
            last = runner.run(launchctl, ["bootout", target(domain)])
            switch last.status {
            case 0, 3, 113: return
            case 36, 37: if attempt < bootoutAttempts - 1 { pause(.milliseconds(200)) }
            default: throw failure("bootout", last)
            }
        }
        throw failure("bootout", last)
    }

    private func launchctl(_ arguments: [String], _ verb: String) throws(DaemonError) {
        let result = runner.run(launchctl, arguments)
        guard result.status != 0 else { return }
        throw failure(verb, result)
    }

    private func failure(_ verb: String, _ result: CommandResult) -> DaemonError {
        DaemonError(.serviceManager, "launchctl \(verb) failed (exit \(result.status)): \(Self.advice(exit: result.status, verb: verb))"
            + (result.output.isEmpty ? "" : " [launchctl: \(result.output.split(separator: "\n").first ?? "")]"))
    }

    /// What a launchctl exit status means for the user.
    public static func advice(exit status: Int32, verb: String) -> String {
        switch status {
        case 5: "Input/output error: the agent is already loaded, or was loaded in the other domain (gui/ vs user/); run `cco daemon uninstall`, then `cco daemon install`"
        case 36, 37: "launchd is still starting or stopping the agent; try again in a moment"
        case 3, 113: "the agent is not loaded; run `cco daemon install`"
        case 125: "this domain does not support the action (no GUI session?); log in at the desktop, or use the user/ domain over ssh"
        case 1: "operation not permitted; check the ownership of ~/Library/LaunchAgents"
        case 127: "launchctl could not be run"
        default: "see `launchctl error \(status)`"
        }
    }
}

/// Records launchctl calls instead of running them, for `cco daemon install --dry-run`: it answers
/// as a desktop session in which the agent is not loaded yet.
public final class RecordingCommandRunner: CommandRunner, @unchecked Sendable {
    public private(set) var calls: [[String]] = []
    private let answer: @Sendable ([String]) -> CommandResult

    public init(answer: @escaping @Sendable ([String]) -> CommandResult = RecordingCommandRunner.notLoadedDesktop) {
        self.answer = answer
    }

    public func run(_ executable: String, _ arguments: [String]) -> CommandResult {
        calls.append([executable] + arguments)
        return answer(arguments)
    }

    /// `print gui/UID` succeeds (a desktop session); `print gui/UID/LABEL` says "not loaded" (113).
    public static let notLoadedDesktop: @Sendable ([String]) -> CommandResult = { arguments in
        if arguments.first == "print" { return CommandResult(status: arguments[1].split(separator: "/").count == 2 ? 0 : 113, output: "") }
        return CommandResult(status: 0, output: "")
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
