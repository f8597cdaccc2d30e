public import CCOCore
internal import CCOSystemd

extension SystemdSupervisor {
    /// Renders and writes the unit (atomically; "unchanged" when identical), reloads the manager,
    /// and with `auto_start` enables and starts it. A standalone daemon is stopped first, so two
    /// never run. With `socket_activation` the socket unit is written and enabled instead, and the
    /// service starts on the first connection.
    public func install(config: DaemonConfig) throws(DaemonError) -> InstallOutcome {
        let version = try onBus { try $0.majorVersion() ?? 0 }
        let unit = unitTemplate(config: config, managerVersion: version)
        let socket: SystemdSocketTemplate?
        do {
            socket = config.socketActivation ? try SystemdSocketTemplate(host: config.host, port: config.port, configFile: paths.configFile) : nil
        } catch {
            throw DaemonError(.config, error.description)
        }
        // ReadWritePaths= needs the state directory to exist when the unit starts.
        try paths.prepareStateDirectory()
        let (change, socketChange) = try onBus { manager in
            try FileSystem.makeDirectory(units.directory, mode: 0o755)
            if socket == nil, units.usesSocketActivation { _ = try remove(SystemdUserUnits.socketName, at: units.socketPath, manager) }
            return (try FileChange.write(unit.render(), to: units.servicePath),
                    try socket.map { socket throws in try FileChange.write(socket.render(), to: units.socketPath) })
        }
        var outcome = InstallOutcome(files: [InstalledFile(path: units.servicePath, change: change, effect: "reloaded systemd")],
                                     activation: .notStarted(hint: "`cco daemon enable --now` does both"), lingerOffUser: lingerOffUser())
        if let socket, let socketChange {
            outcome.files.append(InstalledFile(path: units.socketPath, change: socketChange, effect: "listening on \(socket.listen)"))
        }
        try onBus { manager in try manager.reloadManager() }
        guard config.autoStart else { return outcome }
        if let socket {
            // The socket is enabled (started at login); the service is started by it, on demand.
            try onBus { manager in
                _ = try manager.disableUnitFiles([unitName])
                _ = try manager.enableUnitFiles([SystemdUserUnits.socketName])
            }
            outcome.stoppedStandalonePID = try stopStandaloneDaemon()
            try onBus { manager in
                let service = try manager.status(of: unitName)
                if change != .unchanged || socketChange != .unchanged, service.activeState.isRunning {
                    _ = try manager.stop(unit: unitName)
                }
                let result = socketChange != .unchanged
                    ? try manager.restart(unit: SystemdUserUnits.socketName) : try manager.start(unit: SystemdUserUnits.socketName)
                let socketStatus = try manager.status(of: SystemdUserUnits.socketName)
                guard result == .done else {
                    throw DaemonError(.startFailed, "start of \(SystemdUserUnits.socketName) \(result.rawValue): \(socketStatus.activeState) (\(socketStatus.subState)); is \(socket.listen) in use? (`cco daemon status`)")
                }
            }
            outcome.activation = .socketListening(unit: SystemdUserUnits.socketName, listen: socket.listen)
            return outcome
        }
        try onBus { manager in _ = try manager.enableUnitFiles([unitName]) }
        outcome.stoppedStandalonePID = try stopStandaloneDaemon()
        let running = try onBus { try $0.status(of: unitName) }.activeState.isRunning
        let status = try runJob("start") { manager in
            running && change != .unchanged ? try manager.restart(unit: unitName) : try manager.start(unit: unitName)
        }
        outcome.activation = .running(pid: Int32(status.mainPID), statusText: status.statusText)
        return outcome
    }

    /// The unit as install would write it now. Reading the manager's version changes nothing;
    /// without a bus, it plans for systemd < 253.
    public func planInstall(config: DaemonConfig) -> InstallPlan {
        let version = (try? onBus { try $0.majorVersion() }) ?? nil
        var files = [PlannedFile(path: units.servicePath, note: version == nil ? "(systemd version unknown here: planned for < 253)" : nil,
                                 content: .success(unitTemplate(config: config, managerVersion: version ?? 252).render()))]
        var started = unitName
        if config.socketActivation {
            do {
                let socket = try SystemdSocketTemplate(host: config.host, port: config.port, configFile: paths.configFile)
                files.append(PlannedFile(path: units.socketPath, content: .success(socket.render())))
                started = SystemdUserUnits.socketName
            } catch {
                files.append(PlannedFile(path: units.socketPath, content: .failure(PlanProblem("cannot render \(SystemdUserUnits.socketName): \(error)"))))
            }
        }
        var calls = ["Reload()"]
        if config.autoStart {
            calls.append("EnableUnitFiles([\"\(started)\"], runtime: false, force: true)")
            calls.append("StartUnit(\"\(started)\", \"replace\"), waiting for JobRemoved")
        }
        return InstallPlan(files: files, callsHeading: "would call org.freedesktop.systemd1.Manager on the user bus:", calls: calls)
    }

    func unitTemplate(config: DaemonConfig, managerVersion: Int) -> SystemdUnitTemplate {
        SystemdUnitTemplate(
            executable: executable, stateDirectory: paths.stateDirectory,
            ccoHome: environment["CCO_HOME"].map { _ in paths.stateDirectory }, managerVersion: managerVersion, config: config)
    }

    /// Stops (waiting for the job), disables, removes the files, reloads and resets the failed state.
    public func uninstall() throws(DaemonError) -> [String] {
        try onBus { manager in
            var notes: [String] = []
            if units.usesSocketActivation { notes += try remove(SystemdUserUnits.socketName, at: units.socketPath, manager) }
            notes += try remove(unitName, at: units.servicePath, manager)
            try manager.reloadManager()
            try? manager.resetFailed(unit: unitName)  // nothing to reset is not an error
            return notes
        }
    }

    /// Stops `unit` (waiting for the job) when it runs, disables it and removes its file.
    private func remove(_ unit: String, at path: String, _ manager: UnitManager) throws -> [String] {
        var notes: [String] = []
        let status = try manager.status(of: unit)
        if !status.activeState.isStopped && status.loadState == .loaded {
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

    /// `EnableUnitFiles` (the socket unit's, with socket activation), and with `now` also start.
    public func enable(now: Bool) throws(DaemonError) -> EnableOutcome {
        try requireInstalled()
        let changes = try onBus { try $0.enableUnitFiles([units.usesSocketActivation ? SystemdUserUnits.socketName : unitName]) }
        var outcome = EnableOutcome(service: unitName, change: .links(changes.map { .init(file: $0.file, destination: $0.destination) }))
        if now {
            let status = try runJob("start") { try $0.start(unit: unitName) }
            outcome.running = .unit(pid: Int32(status.mainPID), statusText: status.statusText)
        }
        return outcome
    }

    /// `DisableUnitFiles`, and with `now` also stop.
    public func disable(now: Bool) throws(DaemonError) -> DisableOutcome {
        try requireInstalled()
        let changes = try onBus { try $0.disableUnitFiles(units.usesSocketActivation ? [SystemdUserUnits.socketName, unitName] : [unitName]) }
        if now { _ = try stop(timeout: .seconds(90)) }
        return DisableOutcome(service: unitName, removedLinks: changes.map(\.file), stopped: now)
    }

    private func requireInstalled() throws(DaemonError) {
        guard units.isInstalled else {
            throw DaemonError(.notInstalled, "\(units.servicePath) does not exist; run `cco daemon install` first")
        }
    }

    /// A standalone daemon would hold the lock and make the unit fail: stop it before starting the unit.
    private func stopStandaloneDaemon() throws(DaemonError) -> Int32? {
        guard case .running(let record) = DaemonStatus.read(paths) else { return nil }
        let standalone = StandaloneSupervisor(paths: paths, executable: DaemonExecutable.path(besideCLI: executable),
                                              environment: environment, serviceManager: { [paths, executable, environment] in
                                                  SystemdSupervisor(paths: paths, executable: executable, environment: environment)
                                              })
        if case .stopped = try standalone.stop(timeout: .seconds(10)) { return record.pid }
        return nil
    }

    /// The user whose lingering is off, or nil. logind keeps one file per lingering user in
    /// /var/lib/systemd/linger.
    /// The user whose lingering is off (the daemon does not run before they log in), or nil.
    public func lingerOffUser() -> String? {
        let directory = "/var/lib/systemd/linger"
        guard FileSystem.exists(directory), let user = environment["USER"] ?? environment["LOGNAME"] else { return nil }
        return FileSystem.exists(directory + "/" + user) ? nil : user
    }
}
