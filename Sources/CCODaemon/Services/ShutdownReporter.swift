import CCOSystemd
import Logging
import ServiceLifecycle

/// The first service told to shut down (it is last in the group): flips `/ready` to 503 and tells
/// the service manager `STOPPING=1` before the server stops accepting and drains.
struct ShutdownReporter: Service {
    let state: ServingState
    /// After a handover under systemd the unit's main pid is the successor's: `STOPPING=1` from
    /// here would stop the unit.
    let handover: Handover
    let logger: Logger

    func run() async throws {
        // Returns when graceful shutdown begins; throws CancellationError if the group is cancelled.
        try? await gracefulShutdown()
        // When the listener never came up there is nothing to drain and nothing to report.
        guard state.current == .serving else { return }
        state.set(.stopping)
        guard !handover.isHandedOver else { return }
        logger.info("stopping: draining in-flight requests")
        do {
            try Notifier.notify(.stopping, .status("stopping"))
        } catch {
            logger.warning("cannot notify the service manager: \(error)")
        }
    }
}
