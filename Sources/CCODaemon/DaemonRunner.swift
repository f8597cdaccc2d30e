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
import CCOAnalytics
public import CCOCore
import CCOGateway
import CCOSystemd
import Hummingbird
public import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `cco-daemon` (also reached as `cco daemon run`): the daemon in the foreground, as the service manager (systemd, launchd, or
/// `cco daemon start`) runs it. A `ServiceGroup` of the HTTP server and the shutdown reporter that
/// stops gracefully on SIGTERM and SIGINT.
public struct DaemonRunner: Sendable {
    public let paths: CCOPaths
    public let config: DaemonConfig
    /// The command line's `--host`/`--port`, applied again on every reload.
    public let overrides: DaemonArguments.Overrides
    /// `$JOURNAL_STREAM`: when it names our stderr, logs go to the journal natively.
    public var journalStream: String?
    /// Longest time in-flight requests get to finish after SIGTERM before they are cancelled.
    public var drainTimeout: Duration = .seconds(8)
    /// The notification socket only waits for readiness (`cco daemon start`), so it is dropped after
    /// `READY=1`; a service manager's socket (systemd) is kept for STOPPING, RELOADING and WATCHDOG.
    public var notifySocketIsReadinessOnly = false
    /// The notification socket is a service manager's (systemd): the listener goes in its fd store.
    public var underServiceManager = false
    /// Started by `cco daemon restart` to replace the running daemon: take its listener over
    /// (``Takeover``) instead of binding, and the daemon lock once it has exited.
    public var takesOver = false
    /// Offer the listener to the next process on `handoff.sock` (started by `cco daemon start`).
    public var offersHandoff: Bool { notifySocketIsReadinessOnly }

    public init(paths: CCOPaths, config: DaemonConfig, overrides: DaemonArguments.Overrides = .init()) {
        self.paths = paths
        self.config = config
        self.overrides = overrides
    }

    /// Runs until SIGTERM or SIGINT.
    ///
    /// - Throws: ``DaemonError`` for start-up failures: state directory, lock held by another daemon,
    ///   address in use. Each says what failed and what to do.
    public func run() async throws(DaemonError) {
        try paths.prepareStateDirectory()
        // A restart's new process asks the running daemon for its listener first; it takes the
        // daemon lock only once that one has drained and exited.
        let takeover: Takeover?
        do {
            takeover = takesOver ? try Takeover.begin(path: paths.handoffSocket) : nil
        } catch {
            throw DaemonError(.startFailed, "cannot take over from the running daemon: \(error); it goes on serving")
        }
        let lock = LockHolder()
        if takeover == nil {
            guard let held = try takeLock() else {
                let holder = FileLock.holder(of: paths.lockFile)
                throw DaemonError(.alreadyRunning, "another cco daemon\(holder.map { " (pid \($0))" } ?? "") already runs for \(paths.stateDirectory)")
            }
            lock.hold(held)
        }
        defer { lock.release() }

        let level = LogLevelSetting(config.logLevel.loggerLevel)
        let toJournal = Journal.stderrIsJournalStream(environment: journalStream)
        var logFile: RotatingLogFile?
        if !toJournal {
            do {
                logFile = try RotatingLogFile(path: paths.logFile, rotationSize: config.logRotationSize, maxFiles: config.logMaxFiles)
            } catch {
                throw DaemonError(.stateDirectory, "\(error); fix the permissions of \(paths.logsDirectory) or set CCO_HOME")
            }
        }
        defer { logFile?.sync() }
        let logger = makeLogger(file: logFile, level: level)
        for loose in StatePermissions.loose(in: paths) { logger.warning("\(loose)") }
        raiseDescriptorLimit(logger: logger)

        let listener: ListeningSocket, origin: ListenerOrigin
        do {
            let passed = (try? ListenFDs.take()) ?? []
            (listener, origin) = try ListenerSource(host: config.host, port: config.port, logger: logger).acquire(passed: passed, takeover: takeover)
        } catch {
            let failure = listenFailure(error)
            logger.error("\(failure.detail)")
            throw failure
        }
        if underServiceManager, origin == .bound {
            // systemd holds a copy across restarts and passes it back, so a restart never closes it.
            do {
                try Notifier.notify([.fdStore, .fdName(fdStoreName)], passing: [listener.fd])
            } catch {
                logger.warning("cannot keep the listener in systemd's fd store (a restart will close it): \(error)")
            }
        }

        let identity = DaemonIdentity(pid: getpid(), version: CCOVersion.current)
        let state = ServingState()
        let pidFile = PIDFile(path: paths.pidFile)
        defer { removePIDFileIfOurs(pidFile, pid: identity.pid, logger: logger) }

        let writer = try openAnalytics(logger: logger)
        let gateway = Gateway(config: config, writer: writer, metrics: GatewayMetrics(), logger: logger)
        if config.cachePersist { restoreCache(into: gateway.cache, logger: logger) }

        let router = Router()
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware(metrics: gateway.metrics))
        HealthRoutes(identity: identity, state: state, databaseProblem: { writer.problem }).register(on: router)
        gateway.register(on: router)
        let adminToken: String
        do {
            adminToken = try AdminToken.loadOrCreate(paths)
        } catch {
            throw DaemonError(.stateDirectory, "cannot create \(paths.adminTokenFile): \(error); check the state directory's permissions")
        }
        let paths = self.paths, overrides = self.overrides
        let reloader = ConfigReloader(
            load: { () throws(ConfigError) -> DaemonConfig in
                try overrides.applied(to: try ConfigFile(path: paths.configFile).load(), configFile: paths.configFile)
            },
            running: config, logLevel: level, logFile: logFile, state: state, logger: logger,
            applyToGateway: { next in
                gateway.apply(next)
                writer.apply(retentionDays: next.analyticsRetentionDays)
            })
        AdminRoutes(gateway: gateway, token: adminToken, reload: { reloader.reload() }).register(on: router)

        let host = config.host
        let readinessOnly = notifySocketIsReadinessOnly
        let drainTimeout = self.drainTimeout
        let drain = DrainCoordinator()
        let server = HTTPServerService(
            listener: listener, responder: router.buildResponder(), serverName: "cco/\(CCOVersion.current)",
            // A client that stalls while sending a request, or idles between requests, is
            // disconnected after `client_timeout`; a response being streamed is never cut.
            idleTimeout: .seconds(Int64(config.clientTimeout)),
            idleGrace: .milliseconds(250), logger: logger, drain: drain,
            beforeAccepting: {
                // Started, with the database open and the cache restored: the previous daemon stops
                // accepting now, and the kernel queues connections until this one accepts (a
                // millisecond); the socket itself never closes.
                guard let takeover else { return }
                if !(await takeover.reportReady()) {
                    logger.warning("pid \(takeover.previousPID) did not confirm that it stopped accepting")
                }
            },
            onServing: { port in
                state.setPort(port)
                Self.reportReady(identity: identity, host: host, port: port, origin: origin, pidFile: pidFile, state: state, readinessOnly: readinessOnly, logger: logger)
                // The daemon lock passes when the previous daemon has drained and exited.
                if takeover != nil { lock.acquireInBackground(paths.lockFile, within: drainTimeout + .seconds(15), logger: logger) }
            })
        // The group stops services in reverse order: the server drains first, then the writer
        // flushes the last rows, then the gateway saves the cache and closes upstream connections.
        let handover = Handover()
        let cacheFile = config.cachePersist ? paths.cacheFile : nil
        let gatewayShutdown = GatewayShutdown(gateway: gateway, cacheFile: cacheFile, handover: handover, logger: logger)
        var services: [any Service] = [gatewayShutdown, writer, server, ReloadService(reloader: reloader)]
        if let interval = watchdogInterval(logger) {
            services.append(WatchdogService(interval: interval, host: host, state: state, logger: logger))
            logger.info("watchdog: pinging every \(interval / 2) after a /health check")
        }
        let groupHandle = ServiceGroupHandle()
        if offersHandoff {
            services.append(HandoffService(
                path: paths.handoffSocket, listener: listener, logger: logger,
                prepare: {
                    // The new process restores the cache as it was at the handoff.
                    if let cacheFile { GatewayShutdown.saveCache(gateway.cache, to: cacheFile, logger: logger) }
                },
                stopAccepting: { await drain.stopAccepting() },
                onHandedOver: { _ in
                    // Only now: a takeover that failed leaves this daemon serving, and saving at its stop.
                    handover.markHandedOver()
                    groupHandle.triggerGracefulShutdown()
                }))
        }
        // Last in the group, so the first to hear of a graceful shutdown.
        services.append(ShutdownReporter(state: state, logger: logger))
        // Each service named by its type: ServiceConfiguration(service:) names it "\(service)", which
        // walks every stored property through Mirror, 13% of the daemon's start-up CPU.
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0, serviceName: String(describing: type(of: $0))) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = drainTimeout
        configuration.maximumCancellationDuration = .seconds(1)
        let group = ServiceGroup(configuration: configuration)
        groupHandle.set(group)

        logger.info("starting cco \(CCOVersion.current) (pid \(identity.pid)) for \(paths.stateDirectory)")
        do {
            try await group.run()
        } catch {
            let failure = DaemonError(.listenFailed, "the server stopped: \(error)")
            logger.error("\(failure.detail)")
            throw failure
        }
        logger.info("stopped")
    }

    /// Every call in flight holds two descriptors; the soft limit services start with allows a few
    /// hundred. Raised to what the hard limit allows, with a warning when that still falls short.
    private func raiseDescriptorLimit(logger: Logger) {
        let limit: DescriptorLimit
        do {
            let (before, after) = try DescriptorLimit.raiseSoftLimit()
            if after != before { logger.debug("open files: soft limit raised from \(before.soft) to \(after.soft)") }
            limit = after
        } catch {
            logger.warning("cannot raise the open-files limit: \(error)")
            guard let current = DescriptorLimit.current() else { return }
            limit = current
        }
        // Two per call, and a margin for the listener, the database, the log and idle clients.
        let needed = UInt64(2 * config.upstreamMaxConnections + 256)
        if limit.soft < needed {
            logger.warning("open files are limited to \(limit); upstream_max_connections = \(config.upstreamMaxConnections) needs about \(needed): raise LimitNOFILE= (or ulimit -n), or lower upstream_max_connections")
        }
    }

    /// The analytics database named by `database_url`, opened and migrated before the server binds.
    private func openAnalytics(logger: Logger) throws(DaemonError) -> AnalyticsWriter {
        let location = DatabaseLocation(url: config.databaseURL) ?? .memory
        let path = location.path(in: paths)
        do {
            return try AnalyticsWriter(path: path, retentionDays: config.analyticsRetentionDays, logger: logger)
        } catch {
            let failure = DaemonError(.database, "cannot open the analytics database \(path): \(error); fix `database_url` in \(paths.configFile)")
            logger.error("\(failure.detail)")
            throw failure
        }
    }

    private func restoreCache(into cache: ResponseCache<CachedResponse>, logger: Logger) {
        do {
            let restored = try CacheSnapshot.restore(into: cache, from: paths.cacheFile, nowMilliseconds: WallClock.nowMilliseconds())
            if restored > 0 { logger.info("response cache: \(restored) entries restored from \(paths.cacheFile)") }
        } catch {
            logger.warning("response cache: cannot restore \(paths.cacheFile), starting empty: \(error)")
        }
    }

    private func takeLock() throws(DaemonError) -> FileLock? {
        do {
            return try FileLock.tryLock(paths.lockFile)
        } catch {
            throw DaemonError(.stateDirectory, "\(error); choose a writable state directory with CCO_HOME")
        }
    }

    /// To the journal under systemd, else to the rotating file (and also to a terminal on stderr).
    private func makeLogger(file: RotatingLogFile?, level: LogLevelSetting) -> Logger {
        let interactive = isatty(STDERR_FILENO) == 1
        return Logger(label: "cco") { label in
            guard let file else { return JournalLogHandler(label: label, level: level) }
            let fileHandler = RotatingFileLogHandler(label: RotatingFileLogHandler.processLabel(label, pid: getpid()),
                                                     file: file, level: level)
            guard interactive else { return fileHandler }
            var console = StreamLogHandler.standardError(label: label)
            console.logLevel = level.level
            return MultiplexLogHandler([fileHandler, console])
        }
    }

    /// systemd's `WatchdogSec=` as passed in `$WATCHDOG_USEC`, or nil when not watched.
    private func watchdogInterval(_ logger: Logger) -> Duration? {
        do {
            return try Watchdog.interval()
        } catch {
            logger.warning("ignoring a malformed WATCHDOG_USEC: \(error)")
            return nil
        }
    }

    /// After the listener is bound, and not before: PID file with the real port, `/ready` → 200,
    /// then `READY=1` to the service manager.
    private static func reportReady(identity: DaemonIdentity, host: String, port: Int, origin: ListenerOrigin, pidFile: PIDFile, state: ServingState, readinessOnly: Bool, logger: Logger) {
        let url = DaemonConfig.baseURL(host: host, port: port)
        let record = PIDRecord(
            pid: identity.pid, host: host, port: port, version: identity.version, startedAt: identity.startedAt,
            processStartTime: ProcessIdentity.current()?.startTime ?? 0)
        do {
            try pidFile.write(record)
        } catch {
            logger.error("cannot write the PID file: \(error)")
        }
        state.set(.serving)
        logger.info("listening on \(url), \(origin)")
        do {
            try Notifier.notify([.ready, .status("listening on \(url)"), .mainPID(identity.pid)], unsetEnvironment: readinessOnly)
        } catch {
            logger.warning("cannot notify the service manager: \(error)")
        }
    }

    private func removePIDFileIfOurs(_ pidFile: PIDFile, pid: Int32, logger: Logger) {
        guard let record = try? pidFile.read(), record.pid == pid else { return }
        do { try pidFile.remove() } catch { logger.warning("cannot remove the PID file: \(error)") }
    }

    /// Says why the listener could not be bound, naming the process holding the port when visible.
    private func listenFailure(_ error: SocketError) -> DaemonError {
        let address = "\(config.host):\(config.port)"
        let code: CInt? = error.errno == 0 ? nil : error.errno
        switch code {
        case EADDRINUSE:
            let owner = PortOwner.find(port: config.port).map { " by pid \($0.pid) (\($0.command))" } ?? ""
            return DaemonError(.addressInUse, "cannot listen on \(address): address in use\(owner); choose another port with --port, or set `port` in \(paths.configFile)")
        case EADDRNOTAVAIL:
            return DaemonError(.listenFailed, "cannot listen on \(address): \(config.host) is not an address of this machine; set `host` in \(paths.configFile)")
        case EACCES:
            return DaemonError(.listenFailed, "cannot listen on \(address): permission denied (ports below 1024 need privileges); choose a port from 1024 up")
        default:
            return DaemonError(.listenFailed, "cannot listen on \(address): \(error); check `host` in \(paths.configFile)")
        }
    }
}

