import CCOCore
import CCOSystemd
import Logging
import ServiceLifecycle

/// Pings systemd's watchdog (`WATCHDOG=1`) at half of `WatchdogSec`, but only after the daemon has
/// answered its own `/health` over the network: a hung event loop or a wedged listener stops the
/// pings and systemd restarts the daemon. Three failed checks in a row are a fatal state and send
/// `WATCHDOG=trigger` at once instead of waiting for the timeout.
struct WatchdogService: Service {
    let interval: Duration
    let host: String
    let state: ServingState
    let logger: Logger
    static let failuresBeforeTrigger = 3

    func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully {
            do {
                // A graceful shutdown ends the wait at once; a plain sleep would hold the stop.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval / 2) }
            } catch {
                return
            }
            guard state.current == .serving else { continue }
            let probe = LoopbackHTTPClient.get(host: host, port: state.port, path: "/health", timeout: interval / 4)
            switch probe {
            case .success(let reply) where reply.status == 200:
                failures = 0
                _ = try? Notifier.notify(.watchdog)
            case .success(let reply):
                failures += 1
                logger.warning("watchdog: /health answered \(reply.status) (\(failures) in a row)")
            case .failure(let failure):
                failures += 1
                logger.warning("watchdog: /health does not answer: \(failure) (\(failures) in a row)")
            }
            if failures >= Self.failuresBeforeTrigger {
                logger.critical("watchdog: the daemon cannot serve its own health check; asking systemd to restart it")
                _ = try? Notifier.notify(.watchdogTrigger, .status("unhealthy: /health failed \(failures) times"))
                failures = 0
            }
        }
    }
}
