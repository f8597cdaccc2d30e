#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOSystemd
import SystemPackage

/// The standalone lifecycle (no service manager): start spawns `cco-daemon` and waits for it to
/// report ready on a notification socket, as systemd would; stop signals it, never anything else.
public struct DaemonController: Sendable {
    public let paths: CCOPaths
    /// The `cco-daemon` executable (``DaemonExecutable``) to run.
    public let executable: String
    /// The environment the daemon inherits (`NOTIFY_SOCKET` and `CCO_HOME` are set on top).
    public let environment: [String: String]

    public init(paths: CCOPaths, executable: String, environment: [String: String]) {
        self.paths = paths
        self.executable = executable
        self.environment = environment
    }

    /// Overrides given on the command line for one run; they reach the daemon as its own flags.
    public struct Overrides: Sendable, Hashable {
        public var host: String?
        public var port: Int?
        public init(host: String? = nil, port: Int? = nil) {
            self.host = host
            self.port = port
        }

        public var arguments: [String] {
            (port.map { ["--port", String($0)] } ?? []) + (host.map { ["--host", $0] } ?? [])
        }

        /// The inverse of ``arguments``: `--port N` and `--host H`, as `cco-daemon` receives them.
        ///
        /// - Returns: the overrides, or why the arguments are not understood.
        public static func parse(_ arguments: [String]) -> Result<Overrides, ConfigError> {
            var overrides = Overrides()
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                guard flag == "--port" || flag == "--host" else {
                    return .failure(ConfigError(file: "cco-daemon", line: nil, key: nil, message: "unknown argument `\(flag)`; cco-daemon takes --port N and --host H"))
                }
                guard let value = rest.popFirst() else {
                    return .failure(ConfigError(file: flag, line: nil, key: nil, message: "\(flag) needs a value"))
                }
                if flag == "--host" {
                    overrides.host = value
                } else if let port = Int(value) {
                    overrides.port = port
                } else {
                    return .failure(ConfigError(file: "--port", line: nil, key: "port", message: "`port` must be \(ConfigKey.port.allowed), found \"\(value)\""))
                }
            }
            return .success(overrides)
        }

        /// The config with these overrides applied and checked as the config file's values are.
        public func applied(to config: DaemonConfig, configFile: String) throws(ConfigError) -> DaemonConfig {
            var result = config
            if let port, let rejection = ConfigKey.port.assign(.integer(port), to: &result) {
                throw ConfigError(file: "--port", line: nil, key: "port", message: rejection)
            }
            if let host, let rejection = ConfigKey.host.assign(.string(host), to: &result) {
                throw ConfigError(file: "--host", line: nil, key: "host", message: rejection)
            }
            if let problem = result.remoteAccessProblem() {
                throw ConfigError(file: host != nil ? "--host" : configFile, line: nil, key: "host", message: problem)
            }
            return result
        }
    }

    /// Set for the daemon by ``start(_:timeout:)``: its `NOTIFY_SOCKET` goes away once start returns.
    public static let readinessOnlyVariable = "CCO_NOTIFY_READINESS_ONLY"

    public enum StartOutcome: Sendable {
        case started(PIDRecord, elapsed: Duration, notes: [String])
        case alreadyRunning(PIDRecord)
    }

    /// Starts the daemon and returns once it is ready and `/health` answers.
    ///
    /// - Throws: ``DaemonError``: `.config` before anything is spawned, `.startFailed` with the
    ///   daemon's own error and last log lines, `.readinessTimedOut` (the daemon is then stopped).
    public func start(_ overrides: Overrides, timeout: Duration) throws(DaemonError) -> StartOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        try paths.prepareStateDirectory()
        let control = try controlLock(timeout: timeout)
        defer { control.unlock() }

        var notes: [String] = []
        switch DaemonStatus.read(paths) {
        case .running(let record):
            return .alreadyRunning(record)
        case .starting(let pid):
            return .alreadyRunning(try waitForRecord(of: pid, until: began + timeout))
        case .stale(let record):
            try removeStalePIDFile()
            notes.append("removed a stale PID file\(record.map { " naming pid \($0.pid), which is not a cco daemon any more" } ?? "")")
        case .notRunning:
            break
        }

        // Refuse a bad config here, with the same message the daemon would give, before spawning.
        do {
            _ = try overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
        } catch {
            throw DaemonError(.config, error.description)
        }

        switch try spawnAndAwaitReady(overrides.arguments, began: began, timeout: timeout) {
        case .alreadyRunning(let record):
            return .alreadyRunning(record)
        case .ready(let pid):
            return .started(try healthyRecord(of: pid), elapsed: clock.now - began, notes: notes)
        }
    }

    /// `cco-daemon`'s flag for a process that replaces the running daemon (``restart(_:timeout:drainTimeout:)``).
    public static let takeOverFlag = "--take-over"

    public struct RestartOutcome: Sendable {
        /// The daemon that handed over and exited.
        public let previousPID: Int32
        public let record: PIDRecord
        /// From the command until the new daemon answered `/health`.
        public let elapsed: Duration
        /// From the new daemon's `READY=1` until the previous one had drained and exited.
        public let drained: Duration
        /// The previous daemon had to be killed after `drainTimeout`.
        public let killed: Bool
    }

    /// Replaces the running daemon without closing its listening socket: starts a new `cco-daemon`
    /// that takes the socket over (``takeOverFlag``); once the new one serves, the old one stops
    /// accepting, finishes its requests and exits. No connection is refused in between.
    ///
    /// - Returns: nil when there is no daemon that offers its socket (none runs, or it was not
    ///   started by `cco daemon start`): the caller stops and starts instead.
    /// - Throws: ``DaemonError`` when the new daemon fails; the running one then goes on serving.
    public func restart(_ overrides: Overrides, timeout: Duration, drainTimeout: Duration) throws(DaemonError) -> RestartOutcome? {
        let clock = ContinuousClock()
        let began = clock.now
        guard FileSystem.exists(paths.stateDirectory) else { return nil }
        let control = try controlLock(timeout: timeout)
        defer { control.unlock() }
        guard case .running(let previous) = DaemonStatus.read(paths), FileSystem.exists(paths.handoffSocket),
              let previousIdentity = ProcessIdentity.of(pid: previous.pid) else { return nil }
        do {
            _ = try overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
        } catch {
            throw DaemonError(.config, error.description)
        }
        let spawned: SpawnOutcome
        do throws(DaemonError) {
            spawned = try spawnAndAwaitReady(overrides.arguments + [Self.takeOverFlag], began: began, timeout: timeout)
        } catch {
            throw DaemonError(error.code, error.detail + "\n  the running daemon (pid \(previous.pid)) goes on serving")
        }
        guard case .ready(let pid) = spawned else {
            throw DaemonError(.startFailed, "the new daemon found another one running; the running daemon (pid \(previous.pid)) goes on serving")
        }
        // The new daemon accepts from here; the previous one has stopped accepting and drains.
        let served = clock.now
        let record = try healthyRecord(of: pid)
        var killed = false
        if !waitForExit(previousIdentity, timeout: drainTimeout + .seconds(5)) {
            kill(previous.pid, SIGKILL)
            killed = waitForExit(previousIdentity, timeout: .seconds(5))
        }
        let drained = clock.now - served
        // The new daemon takes the daemon lock once the previous one is gone.
        let deadline = clock.now + .seconds(5)
        while clock.now < deadline, FileLock.holder(of: paths.lockFile) != pid { sleepFor(.milliseconds(2)) }
        return RestartOutcome(previousPID: previous.pid, record: record, elapsed: served - began, drained: drained, killed: killed)
    }

    private enum SpawnOutcome {
        case ready(Int32)
        case alreadyRunning(PIDRecord)
    }

    /// Spawns `cco-daemon` with `arguments` and waits for its `READY=1`.
    private func spawnAndAwaitReady(_ arguments: [String], began: ContinuousClock.Instant, timeout: Duration) throws(DaemonError) -> SpawnOutcome {
        let clock = ContinuousClock()
        let socket: NotifySocket
        do {
            socket = try NotifySocket.bindAbstract(name: "cco-notify-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        } catch {
            throw DaemonError(.startFailed, "cannot create the readiness socket: \(error)")
        }
        var childEnvironment = environment
        for key in [Self.readinessOnlyVariable, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID"] {
            childEnvironment[key] = nil
        }
        childEnvironment["NOTIFY_SOCKET"] = socket.address
        childEnvironment[Self.readinessOnlyVariable] = "1"
        childEnvironment["CCO_HOME"] = paths.stateDirectory
        let pid: Int32
        do {
            pid = try ProcessSpawner.spawnDetached(
                executable: executable, arguments: arguments,
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
                throw startFailure(pid: pid, exit: exit, status: reportedStatus, errno: reportedErrno)
            }
            if clock.now - began > timeout {
                kill(pid, SIGKILL)
                _ = waitForExit(pid: pid, timeout: .seconds(2))
                throw DaemonError(.readinessTimedOut, "the daemon (pid \(pid)) did not report ready within \(timeout) and was stopped\(lastLogLines(of: pid))")
            }
        }

        return .ready(pid)
    }

    /// The PID record of the daemon `pid` that reported ready, once its `/health` answers.
    private func healthyRecord(of pid: Int32) throws(DaemonError) -> PIDRecord {
        let record: PIDRecord
        do {
            guard let written = try PIDFile(path: paths.pidFile).read(), written.pid == pid else {
                throw DaemonError(.startFailed, "the daemon (pid \(pid)) reported ready but wrote no PID file to \(paths.pidFile)")
            }
            record = written
        } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.startFailed, "\(error)")
        }
        switch HealthProbe.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(2)) {
        case .success(let reply) where reply.status == 200:
            return record
        case .success(let reply):
            throw DaemonError(.startFailed, "the daemon (pid \(pid)) is ready but /health answered \(reply.status)\(lastLogLines(of: pid))")
        case .failure(let failure):
            throw DaemonError(.startFailed, "the daemon (pid \(pid)) is ready but \(record.baseURL)/health does not answer: \(failure)\(lastLogLines(of: pid))")
        }
    }

    public enum StopOutcome: Sendable, Hashable {
        case stopped(pid: Int32, elapsed: Duration, killed: Bool)
        case notRunning
        case removedStalePIDFile(PIDRecord?)
    }

    /// Stops the daemon: SIGTERM, then SIGKILL after `timeout`. Only the process that holds the
    /// daemon lock is ever signalled, so a PID file naming another process is harmless.
    public func stop(timeout: Duration) throws(DaemonError) -> StopOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        guard FileSystem.exists(paths.stateDirectory) else { return .notRunning }
        let control = try controlLock(timeout: timeout + .seconds(5))
        defer { control.unlock() }

        let status = DaemonStatus.read(paths)
        switch status {
        case .notRunning:
            return .notRunning
        case .stale(let record):
            try removeStalePIDFile()
            return .removedStalePIDFile(record)
        case .running, .starting:
            break
        }
        guard let pid = status.livePID, let identity = ProcessIdentity.of(pid: pid) else { return .notRunning }
        guard kill(pid, SIGTERM) == 0 || errno == ESRCH else {
            throw DaemonError(.stopFailed, "cannot signal the daemon (pid \(pid)): \(Errno(rawValue: errno)); it runs as another user")
        }
        if waitForExit(identity, timeout: timeout) {
            return .stopped(pid: pid, elapsed: clock.now - began, killed: false)
        }
        kill(pid, SIGKILL)
        guard waitForExit(identity, timeout: .seconds(5)) else {
            throw DaemonError(.stopFailed, "the daemon (pid \(pid)) did not exit after SIGKILL")
        }
        // A killed daemon cannot remove its own PID file.
        if let record = try? PIDFile(path: paths.pidFile).read(), record.pid == pid {
            try? PIDFile(path: paths.pidFile).remove()
        }
        return .stopped(pid: pid, elapsed: clock.now - began, killed: true)
    }

    // MARK: - Helpers


    private func controlLock(timeout: Duration) throws(DaemonError) -> FileLock {
        do {
            guard let lock = try FileLock.lock(paths.controlLockFile, timeout: timeout) else {
                throw DaemonError(.lockFailed, "another cco command has held \(paths.controlLockFile) for \(timeout); try again")
            }
            return lock
        } catch let error as DaemonError { throw error } catch {
            throw DaemonError(.lockFailed, "\(error)")
        }
    }

    private func removeStalePIDFile() throws(DaemonError) {
        do { try PIDFile(path: paths.pidFile).remove() } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
    }

    /// Waits for the daemon that holds the lock to write its PID file (it is binding its listener).
    private func waitForRecord(of pid: Int32, until deadline: ContinuousClock.Instant) throws(DaemonError) -> PIDRecord {
        while ContinuousClock().now < deadline {
            if case .running(let record) = DaemonStatus.read(paths), record.pid == pid { return record }
            if FileLock.holder(of: paths.lockFile) == nil { break }
            sleepFor(.milliseconds(5))
        }
        throw DaemonError(.startFailed, "another daemon (pid \(pid)) holds \(paths.lockFile) but did not become ready\(lastLogLines(of: pid))")
    }

    /// True once the process is gone: no such pid, a zombie (exited, not yet reaped: PID 1 may take
    /// seconds to reap an orphan), or a later process reusing the pid.
    private func waitForExit(_ identity: ProcessIdentity, timeout: Duration) -> Bool {
        // Woken by the kernel at the exit, when the watch is on the same process (not a reused pid).
        if let watch = ProcessExitWatch(pid: identity.pid) {
            guard let now = ProcessIdentity.of(pid: identity.pid), now.startTime == identity.startTime, now.isAlive else { return true }
            return watch.wait(timeout: timeout)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.microseconds(500)
        while true {
            if let now = ProcessIdentity.of(pid: identity.pid) {
                if !now.isAlive || now.startTime != identity.startTime { return true }
            } else {
                return true
            }
            if clock.now >= deadline { return false }
            sleepFor(pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    private func waitForExit(pid: Int32, timeout: Duration) -> ProcessSpawner.ChildExit? {
        let deadline = ContinuousClock().now + timeout
        while ContinuousClock().now < deadline {
            if let exit = ProcessSpawner.exitStatus(of: pid) { return exit }
            sleepFor(.milliseconds(5))
        }
        return nil
    }

    private func startFailure(pid: Int32, exit: ProcessSpawner.ChildExit, status: String?, errno: CInt?) -> DaemonError {
        var reason = status
        if reason == nil, let output = try? FileSystem.readTextIfExists(paths.daemonOutputFile) {
            reason = output.split(separator: "\n").last(where: { !$0.isEmpty }).map(String.init)
        }
        let code: DaemonError.Code
        if exit == .exited(DaemonExitStatus.configError) { code = .config }
        else if errno == EADDRINUSE { code = .addressInUse }
        else { code = .startFailed }
        return DaemonError(code, (reason ?? "the daemon exited during start-up (\(exit))") + lastLogLines(of: pid, besides: reason))
    }

    /// The last lines that the daemon `pid` wrote to its log, for start-up failures, indented under
    /// the error; a line that only repeats `reason` is left out, so an error the daemon reported
    /// itself stays one line. Lines of earlier daemons are not this start's story and are skipped.
    private func lastLogLines(of pid: Int32, besides reason: String? = nil, _ count: Int = 5) -> String {
        guard let tail = try? LogTail.lastLines(200, of: paths.logFile) else { return "" }
        let lines = tail.lines.filter { line in
            guard let message = RotatingFileLogHandler.message(of: line, writtenBy: pid) else { return false }
            return reason.map { message != $0 } ?? true
        }.suffix(count)
        guard !lines.isEmpty else { return "" }
        return "\n  last log lines (\(paths.logFile)):\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }
}
