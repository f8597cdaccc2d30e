#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
internal import CCOSystemd

/// cco as a systemd user unit: every verb through the user manager's D-Bus API (never by running
/// `systemctl`), on a bus connection this supervisor opens on first use and owns. The unit's files
/// are ``SystemdUserUnits``; install and the service verbs are in `SystemdSupervisor+Install`,
/// status in `SystemdSupervisor+Status`.
public final class SystemdSupervisor: DaemonSupervisor {
    public let units: SystemdUserUnits
    /// The `cco` executable the unit runs (`ExecStart=… daemon run`).
    public let executable: String
    public let environment: [String: String]
    private var connection: UnitManager?

    public init(paths: CCOPaths, executable: String, environment: [String: String]) {
        self.units = SystemdUserUnits(paths: paths, environment: environment)
        self.executable = executable
        self.environment = environment
    }

    public var kind: SupervisorKind { .systemd }
    var paths: CCOPaths { units.paths }
    var unitName: String { SystemdUserUnits.serviceName }

    /// The user manager, connected once.
    ///
    /// - Throws: ``DaemonError`` with `.serviceManager` and what to do when no user bus is reachable.
    func manager() throws(DaemonError) -> UnitManager {
        if let connection { return connection }
        do {
            let manager = UnitManager(bus: try SystemdBus.user())
            connection = manager
            return manager
        } catch {
            throw Self.failure(error)
        }
    }

    /// Runs `body` with the manager; bus errors become ``DaemonError``s that say what to do.
    func onBus<T>(_ body: (UnitManager) throws -> T) throws(DaemonError) -> T {
        let manager = try manager()
        do {
            return try body(manager)
        } catch let error as DaemonError {
            throw error
        } catch let error as BusError {
            throw Self.failure(error)
        } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
    }

    static func failure(_ error: BusError) -> DaemonError {
        if error.isBusUnreachable {
            return DaemonError(.serviceManager, "cannot reach your systemd user manager (\(error.errno)): there is no user session bus here (sudo, su or ssh without a login session); log in as the user, or run `loginctl enable-linger` and export XDG_RUNTIME_DIR=/run/user/$(id -u)")
        }
        return DaemonError(.serviceManager, "systemd: \(error)")
    }

    // MARK: - Lifecycle

    /// `StartUnit`, waiting for the job; the daemon is then ready (`Type=notify`).
    public func start(_ request: StartRequest) throws(DaemonError) -> StartOutcome {
        try request.rejectOverrides()
        let clock = ContinuousClock()
        let began = clock.now
        let before = try onBus { try $0.status(of: unitName) }
        if before.activeState.isRunning {
            return .alreadyRunning(service: unitName, pid: Int32(before.mainPID), address: address(of: before))
        }
        let status = try runJob("start") { try $0.start(unit: unitName) }
        return .started(service: unitName, pid: Int32(status.mainPID), address: address(of: status), elapsed: clock.now - began, notes: [])
    }

    /// `StopUnit`, waiting for the job. An explicit stop is not undone by `Restart=`. With socket
    /// activation the socket stops too, or the next connection would start the daemon again.
    public func stop(timeout: Duration) throws(DaemonError) -> StopOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        let before = try onBus { try $0.status(of: unitName) }
        guard !before.activeState.isStopped else {
            return .notRunning(service: unitName, state: before.activeState.description)
        }
        _ = try runJob("stop") { manager in
            if units.usesSocketActivation { _ = try manager.stop(unit: SystemdUserUnits.socketName) }
            return try manager.stop(unit: unitName)
        }
        return .stopped(service: unitName, pid: Int32(before.mainPID), elapsed: clock.now - began, killedAfter: nil)
    }

    /// `RestartUnit`: the listener waits in the fd store (or the socket unit) meanwhile.
    public func restart(_ request: StartRequest) throws(DaemonError) -> RestartOutcome {
        try request.rejectOverrides()
        let clock = ContinuousClock()
        let began = clock.now
        if let handedOver = try overlappingRestart(timeout: request.timeout) { return handedOver }
        let status = try runJob("restart") { manager in
            try? manager.resetFailed(unit: unitName)  // a restart after start-limit-hit is the user's intent
            // The socket unit fails with the service's start limit; Requires= starts it again.
            if units.usesSocketActivation { try? manager.resetFailed(unit: SystemdUserUnits.socketName) }
            return try manager.restart(unit: unitName)
        }
        return .restarted(service: unitName, pid: Int32(status.mainPID), address: address(of: status), elapsed: clock.now - began)
    }

    /// `ReloadUnit`: `Type=notify-reload` (or `ExecReload=`) sends SIGHUP and waits for `READY=1`.
    public func reload() throws(DaemonError) -> ReloadOutcome {
        let status = try runJob("reload") { try $0.reload(unit: unitName) }
        return .reloaded(service: unitName, pid: Int32(status.mainPID), status: status.statusText)
    }

    /// The unit's journal through sd-journal: what `journalctl --user -u UNIT -n N [-f]` shows.
    public func logs(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome {
        do {
            let reader = try JournalReader()
            try reader.matchUserUnit(unitName)
            for entry in try reader.last(count) { emit(JournalLine.format(entry)) }
            guard follow else { return .printed }
            while true {
                try reader.wait(timeout: .seconds(1))
                while let entry = try reader.next() { emit(JournalLine.format(entry)) }
            }
        } catch {
            throw DaemonError(.serviceManager, "cannot read the journal: \(error); `journalctl --user -u \(unitName)` may say more")
        }
    }

    // MARK: - Jobs

    /// Runs a job and reads the unit's state after it; a job that did not end `done` is an error
    /// that says why, in words.
    func runJob(_ verb: String, _ job: (UnitManager) throws -> JobResult) throws(DaemonError) -> UnitStatus {
        try onBus { manager in
            let result = try job(manager)
            let status = try manager.status(of: unitName)
            guard result == .done else { throw jobFailure(verb, result: result, status: status) }
            return status
        }
    }

    func jobFailure(_ verb: String, result: JobResult, status: UnitStatus) -> DaemonError {
        DaemonError(.startFailed, "\(verb) of \(unitName) \(result.rawValue): \(Self.explain(status))")
    }

    /// The address in the PID record of the unit's main process, when it wrote one.
    func address(of status: UnitStatus) -> String? {
        record(of: status)?.baseURL
    }

    func record(of status: UnitStatus) -> PIDRecord? {
        (try? PIDFile(path: paths.pidFile).read()).flatMap { $0 }.flatMap { $0.pid == Int32(status.mainPID) ? $0 : nil }
    }

    /// Why a unit is not running, in words.
    static func explain(_ status: UnitStatus) -> String {
        var words: String
        switch status.result {
        case "exit-code":
            words = "the daemon exited with status \(status.execMainStatus)"
            if status.execMainStatus == DaemonExitStatus.configError { words += " (configuration error)" }
        case "signal": words = "the daemon was killed by signal \(status.execMainStatus)"
        case "core-dump": words = "the daemon crashed (core dump, signal \(status.execMainStatus))"
        case "timeout": words = "the daemon did not report ready (or stop) in time"
        case "watchdog": words = "the daemon stopped answering and the watchdog killed it"
        case "start-limit-hit": words = "start-limit-hit: it failed too often in a row (after \(status.restarts) restarts)"
        case "success", "": words = "\(status.activeState) (\(status.subState))"
        default: words = status.result
        }
        return words
    }
}

/// The unit files of cco's user service, where the user manager finds them.
public struct SystemdUserUnits: Sendable, Hashable {
    public let paths: CCOPaths
    public let environment: [String: String]

    public init(paths: CCOPaths, environment: [String: String]) {
        self.paths = paths
        self.environment = environment
    }

    public static let serviceName = SystemdUnitTemplate.unitName
    public static let socketName = SystemdSocketTemplate.unitName

    /// `$XDG_CONFIG_HOME/systemd/user`, default `~/.config/systemd/user`.
    public var directory: String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? "") + "/.config"
        return base + "/systemd/user"
    }

    public var servicePath: String { directory + "/" + Self.serviceName }
    public var socketPath: String { directory + "/" + Self.socketName }

    /// True when the unit file exists: then `cco` acts through systemd, never beside it.
    public var isInstalled: Bool { FileSystem.exists(servicePath) }

    /// Installed with `socket_activation = true`: systemd listens, and starts the service on demand.
    public var usesSocketActivation: Bool { FileSystem.exists(socketPath) }
}
