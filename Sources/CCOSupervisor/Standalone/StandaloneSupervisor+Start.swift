#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import CCOSystemd

extension StandaloneSupervisor {
    /// Starts the daemon and returns once it is ready and `/health` answers.
    ///
    /// - Throws: ``DaemonError``: `.config` before anything is spawned, `.startFailed` with the
    ///   daemon's own error and last log lines, `.readinessTimedOut` (the daemon is then stopped).
    public func start(_ request: StartRequest) throws(DaemonError) -> StartOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        try paths.prepareStateDirectory()
        let control = try controlLock(timeout: request.timeout)
        defer { control.unlock() }

        var notes: [String] = []
        switch DaemonStatus.read(paths) {
        case .running(let record):
            return .alreadyRunning(record)
        case .starting(let pid):
            return .alreadyRunning(try waitForRecord(of: pid, until: began + request.timeout))
        case .stale(let record):
            try removeStalePIDFile()
            notes.append("removed a stale PID file\(record.map { " naming pid \($0.pid), which is not a cco daemon any more" } ?? "")")
        case .notRunning:
            break
        }
        try checkConfig(request.overrides)

        switch try spawnAndAwaitReady(DaemonArguments(overrides: request.overrides), began: began, timeout: request.timeout) {
        case .alreadyRunning(let record):
            return .alreadyRunning(record)
        case .ready(let pid):
            let record = try healthyRecord(of: pid)
            return .started(service: nil, pid: record.pid, address: record.baseURL, elapsed: clock.now - began, notes: notes)
        }
    }

    enum SpawnOutcome {
        case ready(Int32)
        case alreadyRunning(PIDRecord)
    }

    /// Spawns `cco-daemon` with `arguments` and waits for its `READY=1`.
    func spawnAndAwaitReady(_ arguments: DaemonArguments, began: ContinuousClock.Instant, timeout: Duration) throws(DaemonError) -> SpawnOutcome {
        let clock = ContinuousClock()
        let socket: NotifySocket
        do {
            socket = try NotifySocket.bindAbstract(name: "cco-notify-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        } catch {
            throw DaemonError(.startFailed, "cannot create the readiness socket: \(error)")
        }
        var childEnvironment = environment
        for key in [DaemonArguments.readinessOnlyVariable, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID"] {
            childEnvironment[key] = nil
        }
        childEnvironment["NOTIFY_SOCKET"] = socket.address
        childEnvironment[DaemonArguments.readinessOnlyVariable] = "1"
        childEnvironment["CCO_HOME"] = paths.stateDirectory
        // The previous daemon's output (a crash report, say) is kept one start longer; a daemon still
        // draining writes on into the renamed file.
        try? FileSystem.keepPrevious(paths.daemonOutputFile)
        let pid: Int32
        do {
            pid = try ProcessSpawner.spawnDetached(
                executable: executable, arguments: arguments.arguments,
                environment: childEnvironment, outputFile: paths.daemonOutputFile)
        } catch {
            throw DaemonError(.startFailed, "cannot run \(executable): \(error); install cco-daemon next to cco (scripts/start builds both)")
        }

        var reportedStatus: String?
        var reportedErrno: CInt?
        while true {
            let states: [NotifyState]?
            do { states = try socket.receive(timeout: .milliseconds(20)) } catch {
                throw DaemonError(.startFailed, "cannot read the readiness socket: \(error)")
            }
            var ready = false
            for state in states ?? [] {
                switch state {
                case .ready: ready = true
                case .status(let text): reportedStatus = text
                case .errno(let code): reportedErrno = code
                default: break
                }
            }
            if ready { break }
            if let exit = ProcessSpawner.exitStatus(of: pid) {
                if exit == .exited(DaemonExitStatus.alreadyRunning), let holder = FileLock.holder(of: paths.lockFile) {
                    return .alreadyRunning(try waitForRecord(of: holder, until: began + timeout))
                }
                throw StartFailure(paths: paths).error(pid: pid, exit: exit, status: reportedStatus, errno: reportedErrno)
            }
            if clock.now - began > timeout {
                system_kill(pid, SIGKILL)
                _ = ExitWait.child(pid, timeout: .seconds(2))
                throw DaemonError(.readinessTimedOut, "the daemon (pid \(pid)) did not report ready within \(timeout) and was stopped\(StartFailure(paths: paths).lastLogLines(of: pid))")
            }
        }
        return .ready(pid)
    }

    /// The PID record of the daemon `pid` that reported ready, once its `/health` answers.
    func healthyRecord(of pid: Int32) throws(DaemonError) -> PIDRecord {
        let record: PIDRecord
        do {
            guard let written = try PIDFile(path: paths.pidFile).read(), written.pid == pid else {
                throw DaemonError(.startFailed, "the daemon (pid \(pid)) reported ready but wrote no PID file to \(paths.pidFile)")
            }
            record = written
        } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.startFailed, "\(error)")
        }
        let logLines = { StartFailure(paths: paths).lastLogLines(of: pid) }
        switch LoopbackHTTPClient.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(2)) {
        case .success(let reply) where reply.status == 200:
            return record
        case .success(let reply):
            throw DaemonError(.startFailed, "the daemon (pid \(pid)) is ready but /health answered \(reply.status)\(logLines())")
        case .failure(let failure):
            throw DaemonError(.startFailed, "the daemon (pid \(pid)) is ready but \(record.baseURL)/health does not answer: \(failure)\(logLines())")
        }
    }

    /// Waits for the daemon that holds the lock to write its PID file (it is binding its listener).
    func waitForRecord(of pid: Int32, until deadline: ContinuousClock.Instant) throws(DaemonError) -> PIDRecord {
        while ContinuousClock().now < deadline {
            if case .running(let record) = DaemonStatus.read(paths), record.pid == pid { return record }
            if FileLock.holder(of: paths.lockFile) == nil { break }
            sleepFor(.milliseconds(5))
        }
        throw DaemonError(.startFailed, "another daemon (pid \(pid)) holds \(paths.lockFile) but did not become ready\(StartFailure(paths: paths).lastLogLines(of: pid))")
    }
}

extension StartOutcome {
    static func alreadyRunning(_ record: PIDRecord) -> StartOutcome {
        .alreadyRunning(service: nil, pid: record.pid, address: record.baseURL)
    }
}
