#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import CCOGateway
import CCOSystemd
import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `cco-daemon` (also reached as `cco daemon run`): the daemon in the foreground, as the service
/// manager (systemd, launchd, or `cco daemon start`) runs it. A `ServiceGroup` of the HTTP server,
/// the analytics writer, the gateway's shutdown and the reload, watchdog and handoff services, that
/// stops gracefully on SIGTERM and SIGINT.
///
/// ``run()`` is the order of start-up; each step is in its own file: `DaemonRunner+Lock` (the daemon
/// lock, or a takeover), `+Logging`, `+Listener` (bound, inherited or handed over), `+Gateway` (the
/// database, the cache, the router and the reloader), `+Services` (the group), `+Ready` (PID file
/// and `READY=1`).
public struct DaemonRunner: Sendable {
    public let paths: CCOPaths
    public let config: DaemonConfig
    /// The command line's `--host`/`--port`, applied again on every reload.
    public let overrides: DaemonArguments.Overrides
    /// `$JOURNAL_STREAM`: when it names our stderr, logs go to the journal natively.
    public var journalStream: String?
    /// The notification socket only waits for readiness (`cco daemon start`), so it is dropped after
    /// `READY=1`; a service manager's socket (systemd) is kept for STOPPING, RELOADING and WATCHDOG.
    public var notifySocketIsReadinessOnly = false
    /// The notification socket is a service manager's (systemd): the listener goes in its fd store.
    public var underServiceManager = false
    /// Started by `cco daemon restart` to replace the running daemon: take its listener over
    /// (``Takeover``) instead of binding, and the daemon lock once it has exited.
    public var takesOver = false
    /// The environment it was started with, which a successor under systemd inherits.
    public var environment: [String: String] = [:]
    /// The executable to start a successor from (`cco daemon restart` under systemd).
    public var executable: String = "/proc/self/exe"
    /// Offer the listener to the next process on `handoff.sock`: the one `cco daemon restart`
    /// starts (standalone), or the successor this daemon starts itself on SIGUSR2 (systemd).
    public var offersHandoff: Bool { notifySocketIsReadinessOnly || underServiceManager }
    /// How long requests in progress may go on once this daemon stops accepting (replaced by a
    /// restart, or stopping) before they are cut: `drain_timeout`.
    var drainTimeout: Duration { .seconds(config.drainTimeout) }

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
        let (takeover, lock) = try takeLockOrBeginTakeover()
        defer { lock.release() }
        let (logger, logFile, level) = try makeLogging()
        defer { logFile?.sync() }
        raiseDescriptorLimit(logger: logger)
        let (listener, origin) = try acquireListener(takeover: takeover, logger: logger)

        let identity = DaemonIdentity(pid: getpid(), version: CCOVersion.current)
        let state = ServingState()
        let pidFile = PIDFile(path: paths.pidFile)
        // After a handover the PID file is the successor's, whatever pid it names at this moment.
        let handover = Handover()
        defer { if !handover.isHandedOver { removePIDFileIfOurs(pidFile, pid: identity.pid, logger: logger) } }

        let recorder = DrainRecorder(paths: paths, identity: identity, logger: logger)
        defer { recorder.finish() }

        try await Self.withServingLoop { loop throws(DaemonError) in
            let app = try buildGateway(identity: identity, state: state, level: level, logFile: logFile, replacedPID: takeover?.previousPID,
                                       loop: loop, logger: logger)
            let group = buildServiceGroup(
                app: app, listener: listener, loop: loop, takeover: takeover, lock: lock, recorder: recorder, handover: handover,
                onServing: { port in
                    state.setPort(port)
                    Self.reportReady(identity: identity, host: config.host, port: port, overrides: overrides, origin: origin, pidFile: pidFile, state: state,
                                     readinessOnly: notifySocketIsReadinessOnly, logger: logger)
                },
                logger: logger)

            logger.info("starting cco \(CCOVersion.current) (pid \(identity.pid)) for \(paths.stateDirectory)")
            do {
                try await group.run()
            } catch {
                let failure = DaemonError(.listenFailed, "the server stopped: \(error)")
                logger.error("\(failure.detail)")
                throw failure
            }
        }
        logger.info("stopped")
    }

    /// Runs `serve` with the event loop that serves every connection, the clients' and the
    /// upstream's, and stops the loop once `serve` returns.
    ///
    /// One loop, not one per core: a stream's events go from the upstream's socket to the client's
    /// on one thread, and each wake-up of the loop serves every connection that is ready. Requests
    /// are handled on it too (each connection's task prefers it: ``ServingLoopExecutor``); only a
    /// large body's check and the database's work run elsewhere. A loop per core gave calls from 32
    /// connections at once two to three times this p99 (docs/benchmarks.md, "One event loop").
    private static func withServingLoop(_ serve: (any EventLoop) async throws(DaemonError) -> Void) async throws(DaemonError) {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outcome: Result<Void, DaemonError>
        do throws(DaemonError) {
            try await serve(loops.next())
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await loops.shutdownGracefully()
        try outcome.get()
    }
}
