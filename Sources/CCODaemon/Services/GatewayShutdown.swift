import CCOCore
import CCOGateway
import Logging
import ServiceLifecycle

/// Waits for the graceful shutdown to reach it (after the server drained and the analytics writer
/// flushed), then saves the response cache when `cache_persist` asks for it and closes the
/// gateway's upstream connections.
struct GatewayShutdown: Service {
    let gateway: Gateway
    /// `cache.db`, or nil when the cache is not kept across restarts.
    let cacheFile: String?
    /// Set when the listener went to the next process, which restored the cache saved at the handoff.
    let handover: Handover
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        if let cacheFile, !handover.isHandedOver {
            Self.saveCache(gateway.cache, to: cacheFile, logger: logger)
        }
        await gateway.shutdown()
    }

    static func saveCache(_ cache: ResponseCache<CachedResponse>, to cacheFile: String, logger: Logger) {
        do {
            let saved = try CacheSnapshot.save(cache, to: cacheFile, nowMilliseconds: WallClock.nowMilliseconds())
            logger.info("response cache: \(saved) entries saved to \(cacheFile)")
        } catch {
            logger.error("response cache: cannot save to \(cacheFile): \(error)")
        }
    }
}
