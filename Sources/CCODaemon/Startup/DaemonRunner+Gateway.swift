import CCOAnalytics
import CCOCore
import CCOGateway
import Hummingbird
import CCOSystemd
import Logging
import NIOCore
import Synchronization

/// What serves requests: the gateway with its analytics writer, the router over them, and the
/// reloader that applies a changed config to both.
struct DaemonApplication {
    let gateway: Gateway
    let writer: AnalyticsWriter
    let router: Router<ConnectionContext>
    /// In front of the router: nothing a web page makes a browser send gets further.
    let sameOrigin: SameOriginGuard
    let reloader: ConfigReloader
    /// Starting, serving or stopping: what `/ready`, the watchdog and the shutdown share.
    let state: ServingState
}

extension DaemonRunner {
    /// Opens the analytics database (before anything binds: a broken `database_url` fails the
    /// start), restores the cache, and routes health and the admin endpoints (the server answers
    /// the gateway's routes itself).
    func buildGateway(identity: DaemonIdentity, state: ServingState, level: LogLevelSetting, logFile: RotatingLogFile?,
                      replacedPID: Int32?, loop: any EventLoop, logger: Logger) throws(DaemonError) -> DaemonApplication {
        let writer = try openAnalytics(logger: logger)
        let gateway = Gateway(config: config, prices: Self.prices(paths, logger: logger), writer: writer, metrics: GatewayMetrics(), loop: loop, logger: logger)
        gateway.setNotifier(Self.desktopNotifier(logger: logger))
        if config.cachePersist { restoreCache(into: gateway.cache, logger: logger) }

        let router = Router(context: ConnectionContext.self)
        HealthRoutes(identity: identity, state: state, databaseProblem: { writer.problem }).register(on: router)
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
                gateway.apply(next, prices: Self.prices(paths, logger: logger))
                writer.apply(retentionDays: next.analyticsRetentionDays)
            })
        AdminRoutes(gateway: gateway, token: adminToken, reload: { reloader.reload() }).register(on: router)
        DaemonRoutes(identity: identity, state: state, mode: DaemonMode(underServiceManager: underServiceManager, environment: environment),
                     host: config.host, paths: paths, logsToJournal: logFile == nil, replacedPID: replacedPID,
                     databaseProblem: { writer.problem }).register(on: router)
        DashboardRoutes().register(on: router)
        return DaemonApplication(gateway: gateway, writer: writer, router: router,
                                 sameOrigin: SameOriginGuard(config: config, metrics: gateway.metrics, logger: logger),
                                 reloader: reloader, state: state)
    }

    /// The prices `cco pricing update` stored, else the built-in ones; a stored file that cannot be
    /// used is named in the log, and the built-in prices apply meanwhile.
    static func prices(_ paths: CCOPaths, logger: Logger) -> PriceData {
        do {
            let prices = try PriceData.current(storedAt: paths.priceFile)
            logger.info("prices: \(prices.models.count) models from \(prices.source)")
            return prices
        } catch {
            logger.error("prices: cannot use \(error); using the built-in prices (\(PriceData.builtIn.source)); fix it with `cco pricing update FILE|URL`")
            return .builtIn
        }
    }

    /// The analytics database named by `database_url`, opened and migrated.
    private func openAnalytics(logger: Logger) throws(DaemonError) -> AnalyticsWriter {
        let location = DatabaseLocation(url: config.databaseURL) ?? .memory
        let path = location.path(in: paths)
        do {
            return try AnalyticsWriter(path: path, retentionDays: config.analyticsRetentionDays,
                                       projects: ProjectResolver(environment: ProcessEnvironment.current()),
                                       ledger: BudgetLedger(config: config.budget), logger: logger)
        } catch {
            let failure = DaemonError(.database, "cannot open the analytics database \(path): \(error); fix `database_url` in \(paths.configFile)")
            logger.error("\(failure.detail)")
            throw failure
        }
    }

    /// Budget warnings on the desktop, where the user bus has a notification service; sent off the
    /// request path. A failure is logged once: most servers have no desktop.
    static func desktopNotifier(logger: Logger) -> @Sendable (String, String) -> Void {
        final class FailedOnce: Sendable { let flag = Mutex(false) }
        let failedOnce = FailedOnce()
        return { summary, body in
            Task.detached {
                do {
                    try DesktopNotifications(application: "cco").show(summary: summary, body: body)
                } catch {
                    guard !failedOnce.flag.withLock({ let was = $0; $0 = true; return was }) else { return }
                    logger.info("budget: no desktop notification shown (\(error)); the warning is in the log")
                }
            }
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
}
