#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCOGateway
import CCOSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`cco daemon reload`, `systemctl --user reload cco-daemon`): re-reads and validates the
/// config and applies what can change live. An invalid config is refused and the old one stays.
struct ReloadService: Service {
    let reloader: ConfigReloader

    func run() async throws {
        // The sequence ends when graceful shutdown begins, so this service never holds a stop.
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reloader.reload()
        }
    }
}

/// What a reload changes, kept apart from the signal plumbing so tests can call it directly.
final class ConfigReloader: Sendable {
    let load: @Sendable () throws(ConfigError) -> DaemonConfig
    let running: DaemonConfig
    let logLevel: LogLevelSetting
    let logFile: RotatingLogFile?
    let state: ServingState
    let logger: Logger
    /// Upstream, cache limits, retention and prices: applied on every successful reload.
    let applyToGateway: @Sendable (DaemonConfig) -> Void

    init(load: @escaping @Sendable () throws(ConfigError) -> DaemonConfig, running: DaemonConfig,
         logLevel: LogLevelSetting, logFile: RotatingLogFile?, state: ServingState, logger: Logger,
         applyToGateway: @escaping @Sendable (DaemonConfig) -> Void = { _ in }) {
        self.applyToGateway = applyToGateway
        self.load = load
        self.running = running
        self.logLevel = logLevel
        self.logFile = logFile
        self.state = state
        self.logger = logger
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`, apply, then `READY=1` with a status that says the outcome.
    /// - Returns: whether the new config was applied, and what was applied or why it was refused.
    @discardableResult
    func reload() -> ReloadOutcome {
        var now = timespec()
        system_clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000)
        _ = try? Notifier.notify(.reloading, .monotonicUsec(usec))
        let url = DaemonConfig.baseURL(host: running.host, port: state.port)
        let status: String
        let outcome: ReloadOutcome
        do {
            let next = try load()
            logLevel.set(next.logLevel.loggerLevel)
            logFile?.setLimits(rotationSize: next.logRotationSize, maxFiles: next.logMaxFiles)
            applyToGateway(next)
            var applied = "reloaded: log_level = \(next.logLevel.rawValue)"
            let waiting = ConfigKey.allCases.filter { $0.effect != .reload && $0.value(in: next) != $0.value(in: running) }
            for effect in [ConfigKey.Effect.restart, .install] {
                let names = waiting.filter { $0.effect == effect }.map(\.name)
                guard !names.isEmpty else { continue }
                let when = effect == .restart ? "at the next restart (cco daemon restart)" : "at the next cco daemon install"
                logger.warning("config reloaded, but \(names.joined(separator: ", ")) change \(when)")
                applied += "; \(names.joined(separator: ", ")) change \(when)"
            }
            logger.info("\(applied)")
            status = "listening on \(url)"
            outcome = ReloadOutcome(applied: true, detail: applied)
        } catch {
            logger.error("reload refused, the previous config stays in force: \(error)")
            status = "listening on \(url) (reload refused: \(error))"
            outcome = ReloadOutcome(applied: false, detail: "reload refused: \(error)")
        }
        _ = try? Notifier.notify(.ready, .status(status))
        return outcome
    }
}
