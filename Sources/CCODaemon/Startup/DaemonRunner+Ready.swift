#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCOSystemd
import Logging

extension DaemonRunner {
    /// After the listener is bound, and not before: PID file with the real port, `/ready` → 200,
    /// then `READY=1` to the service manager; then the pages only start-up used are dropped
    /// (``StartupPages``).
    static func reportReady(identity: DaemonIdentity, host: String, port: Int, overrides: DaemonArguments.Overrides,
                            origin: ListenerOrigin, pidFile: PIDFile, state: ServingState, readinessOnly: Bool, logger: Logger) {
        let url = DaemonConfig.baseURL(host: host, port: port)
        let record = PIDRecord(
            pid: identity.pid, host: host, port: port, version: identity.version, startedAt: identity.startedAt,
            processStartTime: ProcessIdentity.current()?.startTime ?? 0, overrides: overrides.isEmpty ? nil : overrides)
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
        let dropped = StartupPages.drop(logger: logger)
        logger.debug("start-up pages dropped: \(dropped / 1024) KB of read-only mappings")
    }

    func removePIDFileIfOurs(_ pidFile: PIDFile, pid: Int32, logger: Logger) {
        guard let record = try? pidFile.read(), record.pid == pid else { return }
        do { try pidFile.remove() } catch { logger.warning("cannot remove the PID file: \(error)") }
    }
}
