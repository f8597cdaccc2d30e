#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import CCOCore

/// Everything `status` knows, gathered once; the command line prints it as text or JSON.
public enum DaemonStatusReport: Sendable, Hashable {
    case standalone(ProcessReport)
    case systemd(UnitReport)
    case launchd(AgentReport)

    /// The one-word answer: what the exit code follows.
    public var state: RunState {
        switch self {
        case .standalone(let report): report.state
        case .systemd(let report): report.service.state
        case .launchd(let report): report.state
        }
    }
}

/// Whether the daemon runs, in the words `status` uses (and its JSON `state`).
public enum RunState: String, Sendable, Hashable {
    case running
    /// It holds the lock but is not listening yet.
    case starting
    /// It died: a PID file was left behind, the unit failed, or the agent exited with an error.
    case dead
    case stopped
}

/// The daemon process as its lock and PID file show it, and its `/health` answer.
public struct ProcessReport: Sendable, Hashable {
    public let paths: CCOPaths
    public let status: DaemonStatus
    /// `/health`, asked when the daemon runs.
    public let health: Result<LoopbackHTTPClient.Reply, LoopbackHTTPFailure>?
    /// When it was gathered.
    public let now: Date
    /// Daemons a restart replaced that are still finishing their requests, oldest first.
    public let finishing: [DrainRecord]

    public init(paths: CCOPaths, status: DaemonStatus, health: Result<LoopbackHTTPClient.Reply, LoopbackHTTPFailure>?, now: Date,
                finishing: [DrainRecord] = []) {
        self.paths = paths
        self.status = status
        self.health = health
        self.now = now
        self.finishing = finishing
    }

    /// Reads the lock and PID file and, when the daemon runs, asks its `/health`.
    public static func gather(_ paths: CCOPaths) -> ProcessReport {
        let status = DaemonStatus.read(paths)
        var health: Result<LoopbackHTTPClient.Reply, LoopbackHTTPFailure>?
        if case .running(let record) = status {
            health = LoopbackHTTPClient.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(2))
        }
        let finishing = DrainRecords(paths: paths).live().filter { $0.pid != status.livePID }
        return ProcessReport(paths: paths, status: status, health: health, now: Date(), finishing: finishing)
    }

    public var state: RunState {
        switch status {
        case .running: .running
        case .starting: .starting
        case .stale: .dead
        case .notRunning: .stopped
        }
    }
}

/// A systemd unit as its manager reports it, with the daemon's own address and health.
public struct UnitReport: Sendable, Hashable {
    public var service: UnitSnapshot
    /// `cco-daemon.socket`, with socket activation.
    public var socket: UnitSnapshot?
    /// The PID record of the unit's main process, when it wrote one.
    public var record: PIDRecord?
    public var health: Result<LoopbackHTTPClient.Reply, LoopbackHTTPFailure>?
    /// Why it is not running, in words; empty when it runs.
    public var explanation: String
    /// The unit's journal, its last lines, when it is not running.
    public var lastLogLines: [String]
    public var paths: CCOPaths

    /// Daemons a `cco daemon restart` replaced that are still finishing their requests.
    public var finishing: [DrainRecord]

    public init(service: UnitSnapshot, socket: UnitSnapshot?, record: PIDRecord?, health: Result<LoopbackHTTPClient.Reply, LoopbackHTTPFailure>?,
                explanation: String, lastLogLines: [String], paths: CCOPaths, finishing: [DrainRecord] = []) {
        self.finishing = finishing
        self.service = service
        self.socket = socket
        self.record = record
        self.health = health
        self.explanation = explanation
        self.lastLogLines = lastLogLines
        self.paths = paths
    }
}

/// What the manager says of one unit, in systemd's own words.
public struct UnitSnapshot: Sendable, Hashable {
    public var name: String
    public var state: RunState
    /// `active`, `failed`, …, as systemd spells them.
    public var activeState: String
    public var subState: String
    /// `enabled`, `disabled`, … (empty when there is no unit file).
    public var unitFileState: String
    /// `success`, `exit-code`, `start-limit-hit`, …
    public var result: String
    public var mainPID: Int32
    public var restarts: Int
    /// The daemon's `STATUS=`.
    public var statusText: String
    public var execMainStatus: Int32
    /// When it last became active, if it ever did.
    public var activeSince: Date?
    /// `WatchdogSec=`, when on.
    public var watchdogSeconds: Int?

    public init(name: String, state: RunState, activeState: String, subState: String, unitFileState: String, result: String,
                mainPID: Int32, restarts: Int, statusText: String, execMainStatus: Int32, activeSince: Date?, watchdogSeconds: Int?) {
        self.name = name
        self.state = state
        self.activeState = activeState
        self.subState = subState
        self.unitFileState = unitFileState
        self.result = result
        self.mainPID = mainPID
        self.restarts = restarts
        self.statusText = statusText
        self.execMainStatus = execMainStatus
        self.activeSince = activeSince
        self.watchdogSeconds = watchdogSeconds
    }

    /// It failed on a bad config (exit status 78): restarting cannot help until the config is fixed.
    public var failedOnConfig: Bool { execMainStatus == DaemonExitStatus.configError }
}

/// A LaunchAgent as `launchctl print` shows it, with the daemon process beneath it.
public struct AgentReport: Sendable, Hashable {
    public var label: String
    public var loaded: Bool
    /// launchd's word: `running`, `waiting`, …
    public var launchdState: String?
    public var lastExitStatus: Int32?
    public var daemon: ProcessReport

    public init(label: String, loaded: Bool, launchdState: String?, lastExitStatus: Int32?, daemon: ProcessReport) {
        self.label = label
        self.loaded = loaded
        self.launchdState = launchdState
        self.lastExitStatus = lastExitStatus
        self.daemon = daemon
    }

    /// Running when the daemon runs; dead when it last exited with an error; else stopped.
    public var state: RunState {
        if daemon.state == .running { return .running }
        return (lastExitStatus ?? 0) != 0 ? .dead : .stopped
    }
}
