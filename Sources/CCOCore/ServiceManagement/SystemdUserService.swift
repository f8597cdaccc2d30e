#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOSystemd
import SystemPackage

/// cco as a systemd user unit: the unit file, and every lifecycle action through the user manager's
/// D-Bus API (never by running `systemctl`).
public struct SystemdUserService: Sendable {
    public let paths: CCOPaths
    public let executable: String
    public let environment: [String: String]

    public init(paths: CCOPaths, executable: String, environment: [String: String]) {
        self.paths = paths
        self.executable = executable
        self.environment = environment
    }

    public var unitName: String { SystemdUnitTemplate.unitName }

    /// `$XDG_CONFIG_HOME/systemd/user`, default `~/.config/systemd/user`.
    public var unitDirectory: String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? "") + "/.config"
        return base + "/systemd/user"
    }

    public var unitPath: String { unitDirectory + "/" + unitName }

    public var socketUnitName: String { SystemdSocketTemplate.unitName }
    public var socketUnitPath: String { unitDirectory + "/" + socketUnitName }
    /// Installed with `socket_activation = true`: systemd listens, and starts the service on demand.
    public var usesSocketActivation: Bool { FileSystem.exists(socketUnitPath) }

    /// True when the unit file exists: then the CLI acts through systemd, never beside it.
    public var isInstalled: Bool { FileSystem.exists(unitPath) }

    /// Connects to the user manager.
    ///
    /// - Throws: ``DaemonError`` with `.serviceManager` and what to do when no user bus is reachable.
    public func connect() throws(DaemonError) -> UnitManager {
        do {
            return UnitManager(bus: try SystemdBus.user())
        } catch {
            throw Self.failure(error)
        }
    }

    static func failure(_ error: BusError) -> DaemonError {
        if error.isBusUnreachable {
            return DaemonError(.serviceManager, "cannot reach your systemd user manager (\(error.errno)): there is no user session bus here (sudo, su or ssh without a login session); log in as the user, or run `loginctl enable-linger` and export XDG_RUNTIME_DIR=/run/user/$(id -u)")
        }
        return DaemonError(.serviceManager, "systemd: \(error)")
    }

    // MARK: - Install

    public enum FileChange: String, Sendable { case written, updated, unchanged }

    public struct InstallOutcome: Sendable {
        public var file: FileChange
        public var enabled: Bool
        public var started: UnitStatus?
        public var stoppedStandalonePID: Int32?
        public var lingerOff: String?
        /// With `socket_activation`: the socket unit's file and the address systemd listens on.
        public var socket: (file: FileChange, listen: String)?
        /// With `socket_activation`: the socket unit listens and the service starts on demand.
        public var socketStatus: UnitStatus?
    }

    /// Renders and writes the unit (atomically; "unchanged" when identical), reloads the manager,
    /// and with `auto_start` enables and starts it. A standalone daemon is stopped first, so two never run.
    public func install(config: DaemonConfig, manager: UnitManager) throws(DaemonError) -> InstallOutcome {
        let version: Int
        do { version = try manager.majorVersion() ?? 0 } catch { throw Self.failure(error) }
        let unit = SystemdUnitTemplate(
            executable: executable, stateDirectory: paths.stateDirectory,
            ccoHome: environment["CCO_HOME"].map { _ in paths.stateDirectory }, managerVersion: version, config: config)
        let socket: SystemdSocketTemplate?
        do {
            socket = config.socketActivation ? try SystemdSocketTemplate(host: config.host, port: config.port, configFile: paths.configFile) : nil
        } catch {
            throw DaemonError(.config, error.description)
        }
        // ReadWritePaths= needs the state directory to exist when the unit starts.
        try paths.prepareStateDirectory()
        let change: FileChange, socketChange: FileChange?
        do {
            try FileSystem.makeDirectory(unitDirectory, mode: 0o755)
            if socket == nil, usesSocketActivation { try removeSocketUnit(manager: manager) }
            change = try writeIfChanged(unit.render(), to: unitPath)
            socketChange = try socket.map { socket throws in try writeIfChanged(socket.render(), to: socketUnitPath) }
        } catch let error as DaemonError {
            throw error
        } catch let error as BusError {
            throw Self.failure(error)
        } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
        var outcome = InstallOutcome(file: change, enabled: false, started: nil, stoppedStandalonePID: nil, lingerOff: lingerWarning())
        if let socket, let socketChange { outcome.socket = (socketChange, socket.listen) }
        do {
            try manager.reloadManager()
            guard config.autoStart else { return outcome }
            if let socket {
                // The socket is enabled (started at login); the service is started by it, on demand.
                _ = try manager.disableUnitFiles([unitName])
                _ = try manager.enableUnitFiles([socketUnitName])
                outcome.enabled = true
                outcome.stoppedStandalonePID = try stopStandaloneDaemon()
                let service = try manager.status(of: unitName)
                if change != .unchanged || socketChange != .unchanged, service.activeState == "active" || service.activeState == "reloading" {
                    _ = try manager.stop(unit: unitName)
                }
                let result = socketChange != .unchanged ? try manager.restart(unit: socketUnitName) : try manager.start(unit: socketUnitName)
                let socketStatus = try manager.status(of: socketUnitName)
                guard result == .done else {
                    throw DaemonError(.startFailed, "start of \(socketUnitName) \(result.rawValue): \(socketStatus.activeState) (\(socketStatus.subState)); is \(socket.listen) in use? (`cco daemon status`)")
                }
                outcome.socketStatus = socketStatus
                return outcome
            }
            _ = try manager.enableUnitFiles([unitName])
            outcome.enabled = true
            outcome.stoppedStandalonePID = try stopStandaloneDaemon()
            let before = try manager.status(of: unitName)
            let running = before.activeState == "active" || before.activeState == "reloading"
            let result = running && change != .unchanged
                ? try manager.restart(unit: unitName) : try manager.start(unit: unitName)
            let status = try manager.status(of: unitName)
            guard result == .done else { throw jobFailure("start", result: result, status: status) }
            outcome.started = status
        } catch let error as BusError {
            throw Self.failure(error)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.serviceManager, "\(error)")
        }
        return outcome
    }

    private func writeIfChanged(_ text: String, to path: String) throws -> FileChange {
        let existing = try? FileSystem.readTextIfExists(path)
        let change: FileChange = existing == nil ? .written : (existing == text ? .unchanged : .updated)
        if change != .unchanged { try AtomicFile.write(text, to: path, permissions: [.ownerReadWrite, .groupRead, .otherRead]) }
        return change
    }

    /// Stops and disables the socket unit and removes its file (`socket_activation` turned off).
    @discardableResult
    private func removeSocketUnit(manager: UnitManager) throws -> [String] {
        try remove(socketUnitName, at: socketUnitPath, manager: manager)
    }

    /// Stops `unit` (waiting for the job) when it runs, disables it and removes its file.
    private func remove(_ unit: String, at path: String, manager: UnitManager) throws -> [String] {
        var notes: [String] = []
        let status = try manager.status(of: unit)
        if status.activeState != "inactive" && status.activeState != "failed" && status.loadState == "loaded" {
            _ = try manager.stop(unit: unit)
            notes.append("stopped \(unit)")
        }
        let changes = try manager.disableUnitFiles([unit])
        if !changes.isEmpty { notes.append("disabled: removed \(changes.map(\.file).joined(separator: ", "))") }
        if FileSystem.exists(path) {
            try FileSystem.remove(path)
            notes.append("removed \(path)")
        }
        return notes
    }

    /// Stops (waiting for the job), disables, removes the file, reloads and resets the failed state.
    public func uninstall(manager: UnitManager) throws(DaemonError) -> [String] {
        var notes: [String] = []
        do {
            if usesSocketActivation { notes += try removeSocketUnit(manager: manager) }
            notes += try remove(unitName, at: unitPath, manager: manager)
            try manager.reloadManager()
            try? manager.resetFailed(unit: unitName)  // nothing to reset is not an error
        } catch let error as BusError {
            throw Self.failure(error)
        } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
        return notes
    }

    /// `EnableUnitFiles`, and with `now` also start.
    public func enable(now: Bool, manager: UnitManager) throws(DaemonError) -> (changes: [UnitFileChange], status: UnitStatus?) {
        try requireInstalled()
        do {
            let changes = try manager.enableUnitFiles([usesSocketActivation ? socketUnitName : unitName])
            guard now else { return (changes, nil) }
            return (changes, try start(manager: manager))
        } catch let error as BusError { throw Self.failure(error) } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.serviceManager, "\(error)")
        }
    }

    /// `DisableUnitFiles`, and with `now` also stop.
    public func disable(now: Bool, manager: UnitManager) throws(DaemonError) -> [UnitFileChange] {
        try requireInstalled()
        do {
            let changes = try manager.disableUnitFiles(usesSocketActivation ? [socketUnitName, unitName] : [unitName])
            if now { _ = try stop(manager: manager) }
            return changes
        } catch let error as BusError { throw Self.failure(error) } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.serviceManager, "\(error)")
        }
    }

    // MARK: - Lifecycle through the manager

    /// `StartUnit`, waiting for the job; the daemon is then ready (Type=notify).
    public func start(manager: UnitManager) throws(DaemonError) -> UnitStatus {
        try runJob("start", manager) { try manager.start(unit: unitName) }
    }

    /// `StopUnit`, waiting for the job. An explicit stop is not undone by `Restart=`. With socket
    /// activation the socket stops too, or the next connection would start the daemon again.
    public func stop(manager: UnitManager) throws(DaemonError) -> UnitStatus {
        try runJob("stop", manager) {
            if usesSocketActivation { _ = try manager.stop(unit: socketUnitName) }
            return try manager.stop(unit: unitName)
        }
    }

    /// The socket unit's state, when socket activation is installed.
    public func socketStatus(manager: UnitManager) throws(DaemonError) -> UnitStatus? {
        guard usesSocketActivation else { return nil }
        do { return try manager.status(of: socketUnitName) } catch { throw Self.failure(error) }
    }

    public func restart(manager: UnitManager) throws(DaemonError) -> UnitStatus {
        try runJob("restart", manager) {
            try? manager.resetFailed(unit: unitName)  // a restart after start-limit-hit is the user's intent
            // The socket unit fails with the service's start limit; Requires= starts it again.
            if usesSocketActivation { try? manager.resetFailed(unit: socketUnitName) }
            return try manager.restart(unit: unitName)
        }
    }

    public func reload(manager: UnitManager) throws(DaemonError) -> UnitStatus {
        try runJob("reload", manager) { try manager.reload(unit: unitName) }
    }

    public func status(manager: UnitManager) throws(DaemonError) -> UnitStatus {
        do { return try manager.status(of: unitName) } catch { throw Self.failure(error) }
    }

    private func runJob(_ verb: String, _ manager: UnitManager, _ job: () throws -> JobResult) throws(DaemonError) -> UnitStatus {
        do {
            let result = try job()
            let status = try manager.status(of: unitName)
            guard result == .done else { throw jobFailure(verb, result: result, status: status) }
            return status
        } catch let error as BusError { throw Self.failure(error) } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.serviceManager, "\(error)")
        }
    }

    private func jobFailure(_ verb: String, result: JobResult, status: UnitStatus) -> DaemonError {
        DaemonError(.startFailed, "\(verb) of \(unitName) \(result.rawValue): \(Self.explain(status))")
    }

    private func requireInstalled() throws(DaemonError) {
        guard isInstalled else {
            throw DaemonError(.notInstalled, "\(unitPath) does not exist; run `cco daemon install` first")
        }
    }

    /// A standalone daemon would hold the lock and make the unit fail: stop it before starting the unit.
    private func stopStandaloneDaemon() throws -> Int32? {
        guard case .running(let record) = DaemonStatus.read(paths) else { return nil }
        let controller = DaemonController(paths: paths, executable: executable, environment: environment)
        if case .stopped = try controller.stop(timeout: .seconds(10)) { return record.pid }
        return nil
    }

    /// Why a unit is not running, in words.
    public static func explain(_ status: UnitStatus) -> String {
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

    /// The warning to show when the user's lingering is off, or nil. logind keeps one file per
    /// lingering user in /var/lib/systemd/linger.
    func lingerWarning() -> String? {
        let directory = "/var/lib/systemd/linger"
        guard FileSystem.exists(directory), let user = environment["USER"] ?? environment["LOGNAME"] else { return nil }
        return FileSystem.exists(directory + "/" + user) ? nil : user
    }
}
