#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOCore
import Logging
import Synchronization

/// Keeps this daemon's ``DrainRecord`` (`draining/<pid>.json`) while it finishes its requests after
/// it stopped accepting, so that `status`, `restart` and `stop` can say what it is still serving:
/// written at once when the drain begins, rewritten when the count changes (at most every 250 ms),
/// removed as the process exits.
final class DrainRecorder: Sendable {
    let records: DrainRecords
    let identity: DaemonIdentity
    let processStartTime: UInt64
    let logger: Logger
    private let state = Mutex<(record: DrainRecord?, task: Task<Void, Never>?)>((nil, nil))

    init(paths: CCOPaths, identity: DaemonIdentity, logger: Logger) {
        records = DrainRecords(paths: paths)
        self.identity = identity
        processStartTime = ProcessIdentity.current()?.startTime ?? 0
        self.logger = logger
    }

    /// Writes the first record now; the count is kept from then on.
    func begin(_ reason: DrainRecord.Reason, coordinator: DrainCoordinator) {
        let now = Date()
        let (requests, streams) = coordinator.inProgress
        let record = DrainRecord(pid: identity.pid, processStartTime: processStartTime, reason: reason, since: now,
                                 cutAt: now.addingTimeInterval(coordinator.drainTimeout.seconds),
                                 requests: max(0, requests), streams: max(0, streams))
        let first = state.withLock { state -> Bool in
            guard state.record == nil else { return false }
            state.record = record
            return true
        }
        guard first else { return }
        save(record)
        logger.info("stopped accepting (\(reason == .replaced ? "replaced by a restart" : "stopping")); finishing \(record.inProgress), for up to \(coordinator.drainTimeout) (drain_timeout)")
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                let (requests, streams) = coordinator.inProgress
                let changed = state.withLock { state -> DrainRecord? in
                    guard var record = state.record, record.requests != requests || record.streams != streams else { return nil }
                    record.requests = max(0, requests)
                    record.streams = max(0, streams)
                    state.record = record
                    return record
                }
                if let changed { save(changed) }
            }
        }
        state.withLock { $0.task = task }
    }

    /// The drain bound ran out with this much still in progress.
    func cutting(_ inProgress: (requests: Int, streams: Int), after bound: Duration) {
        logger.warning("cutting \(inProgress.requests) request(s) still in progress (\(inProgress.streams) stream(s)) after \(bound) (drain_timeout)")
    }

    /// The process is about to exit.
    func finish() {
        let (record, task) = state.withLock { ($0.record, $0.task) }
        task?.cancel()
        if record != nil { records.remove(pid: identity.pid) }
    }

    private func save(_ record: DrainRecord) {
        do { try records.write(record) } catch {
            logger.warning("cannot record the drain for `cco daemon status`: \(error)")
        }
    }
}
