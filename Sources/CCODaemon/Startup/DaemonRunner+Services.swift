import CCOCore
import CCOGateway
import CCOSystemd
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

extension DaemonRunner {
    /// The services, in start order. The group stops them in reverse: the server drains first,
    /// then the writer flushes the last rows, then the gateway saves the cache and closes its
    /// upstream connections.
    func buildServiceGroup(app: DaemonApplication, listener: ListeningSocket, loop: any EventLoop, takeover: Takeover?, lock: LockHolder,
                           recorder: DrainRecorder, handover: Handover, onServing: @escaping @Sendable (Int) -> Void, logger: Logger) -> ServiceGroup {
        let paths = self.paths
        let gateway = app.gateway
        let events = app.writer.events
        let drain = DrainCoordinator(drainTimeout: drainTimeout, recorder: recorder, whenDraining: { events.endAll() })
        let server = HTTPServerService(
            listener: listener, loop: loop, gateway: gateway, sameOrigin: app.sameOrigin,
            responder: app.sameOrigin.guarding(app.router.buildResponder()), requests: RequestMetrics(metrics: gateway.metrics),
            serverName: "cco/\(CCOVersion.current)",
            // A client that stalls while sending a request, or idles between requests, is
            // disconnected after `client_timeout`; a response being streamed is never cut.
            idleTimeout: .seconds(Int64(config.clientTimeout)),
            idleGrace: .milliseconds(250), logger: logger, drain: drain,
            bodyLimit: { gateway.maxRequestSize }, peers: PeerPolicy(config: config, logger: logger),
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
                onServing(port)
                // The previous daemon let the daemon lock go as it stopped accepting.
                if takeover != nil { lock.acquireInBackground(paths.lockFile, within: .seconds(30), logger: logger) }
            })
        let cacheFile = config.cachePersist ? paths.cacheFile : nil
        var services: [any Service] = [GatewayShutdown(gateway: gateway, cacheFile: cacheFile, handover: handover, logger: logger),
                                       app.writer, server, ReloadService(reloader: app.reloader)]
        if let interval = watchdogInterval(logger) {
            services.append(WatchdogService(interval: interval, host: config.host, state: app.state, logger: logger))
            logger.info("watchdog: pinging every \(interval / 2) after a /health check")
        }
        let groupHandle = ServiceGroupHandle()
        if offersHandoff {
            // Listening before the daemon reports ready: a restart right after this one finds it.
            services.append(HandoffService(
                path: paths.handoffSocket, socket: HandoffService.listen(at: paths.handoffSocket, logger: logger),
                listener: listener, logger: logger,
                prepare: {
                    // The new process restores the cache as it was at the handoff.
                    if let cacheFile { GatewayShutdown.saveCache(gateway.cache, to: cacheFile, logger: logger) }
                },
                // Under systemd the unit's main pid moves to the successor now, from this process (the
                // main one, as NotifyAccess=main wants), before it stops accepting and exits:
                // systemd reads this before it sees that exit, so the unit never looks as if its
                // main process had died.
                movingTo: { [underServiceManager] pid in
                    guard underServiceManager else { return }
                    do { try Notifier.notify([.mainPID(pid)]) } catch {
                        logger.warning("cannot move the unit's main pid to \(pid): \(error)")
                    }
                },
                stopAccepting: { await drain.stopAccepting(for: .replaced) },
                // The daemon that accepts holds the lock; this one drains on without it.
                releaseLock: { lock.release() },
                onHandedOver: { _ in
                    // Only now: a takeover that failed leaves this daemon serving, and saving at its stop.
                    handover.markHandedOver()
                    groupHandle.triggerGracefulShutdown()
                }))
        }
        if offersHandoff && underServiceManager {
            services.append(SuccessorService(executable: executable, arguments: DaemonArguments(overrides: overrides, takesOver: true),
                                             environment: environment, handover: handover, logger: logger))
        }
        // Last in the group, so the first to hear of a graceful shutdown.
        services.append(ShutdownReporter(state: app.state, handover: handover, logger: logger))
        // Each service named by its type: ServiceConfiguration(service:) names it "\(service)", which
        // walks every stored property through Mirror at every start.
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0, serviceName: String(describing: type(of: $0))) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // The server cuts what is still open after the drain bound itself; this bounds the rest (the
        // writer's last rows, the cache saved, the upstream connections closed).
        configuration.maximumGracefulShutdownDuration = drainTimeout + .seconds(15)
        configuration.maximumCancellationDuration = .seconds(1)
        let group = ServiceGroup(configuration: configuration)
        groupHandle.set(group)
        return group
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
}
