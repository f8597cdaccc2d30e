import CCOCore
import Dispatch
import Logging
import ServiceLifecycle
import Synchronization

/// Set once this daemon has passed its listener (and its cache snapshot) to the next process: it
/// must not save the cache again as it exits.
final class Handover: Sendable {
    private let handedOver = Atomic<Bool>(false)
    func markHandedOver() { handedOver.store(true, ordering: .relaxed) }
    var isHandedOver: Bool { handedOver.load(ordering: .relaxed) }
}

/// The running service group, for a service that ends the daemon's life itself (the handoff).
final class ServiceGroupHandle: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)
    func set(_ value: ServiceGroup) { group.withLock { $0 = value } }
    func triggerGracefulShutdown() {
        guard let group = group.withLock({ $0 }) else { return }
        Task { await group.triggerGracefulShutdown() }
    }
}

/// The daemon lock, held for the daemon's life; a process that took over waits for it in the
/// background until the previous daemon has exited.
final class LockHolder: @unchecked Sendable {
    // FileLock is a class with no shared state of its own; access goes through this lock.
    private let lock = Mutex<Void>(())
    private var held: FileLock?
    private var released = false

    func hold(_ fileLock: FileLock) {
        lock.withLock { _ in held = fileLock }
    }

    func acquireInBackground(_ path: String, within timeout: Duration, logger: Logger) {
        DispatchQueue.global().async {
            do {
                guard let acquired = try FileLock.lock(path, timeout: timeout) else {
                    logger.error("the previous daemon still holds \(path) after \(timeout)")
                    return
                }
                let keep = self.lock.withLock { _ -> Bool in
                    guard !self.released else { return false }
                    self.held = acquired
                    return true
                }
                if keep { logger.debug("holding the daemon lock") } else { acquired.unlock() }
            } catch {
                logger.error("cannot take the daemon lock: \(error)")
            }
        }
    }

    func release() {
        let lock = self.lock.withLock { _ -> FileLock? in
            released = true
            defer { held = nil }
            return held
        }
        lock?.unlock()
    }
}
