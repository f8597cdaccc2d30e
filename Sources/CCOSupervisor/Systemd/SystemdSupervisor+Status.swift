#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import CCOCore
internal import CCOSystemd

extension SystemdSupervisor {
    /// The unit's state from the manager (one `GetAll` round trip per unit), the address and health
    /// from the daemon, and when it is not running the reason in words and its last journal lines.
    public func status() throws(DaemonError) -> DaemonStatusReport {
        let (service, socket) = try onBus { manager in
            (try manager.status(of: unitName),
             units.usesSocketActivation ? try manager.status(of: SystemdUserUnits.socketName) : nil)
        }
        let record = record(of: service)
        let health = record.map { LoopbackHTTPClient.get(host: $0.host, port: $0.port, path: "/health", timeout: .seconds(2)) }
        let running = service.activeState.isRunning
        return .systemd(UnitReport(
            service: Self.snapshot(unitName, service), socket: socket.map { Self.snapshot(SystemdUserUnits.socketName, $0) },
            record: record, health: health, explanation: running ? "" : Self.explain(service),
            lastLogLines: running ? [] : lastJournalLines(5), paths: paths,
            finishing: DrainRecords(paths: paths).live().filter { $0.pid != Int32(service.mainPID) }))
    }

    static func snapshot(_ name: String, _ status: UnitStatus) -> UnitSnapshot {
        let state: RunState = status.activeState.isRunning ? .running : (status.activeState == .failed ? .dead : .stopped)
        return UnitSnapshot(
            name: name, state: state, activeState: status.activeState.description, subState: status.subState,
            unitFileState: status.unitFileState, result: status.result, mainPID: Int32(status.mainPID),
            restarts: Int(status.restarts), statusText: status.statusText, execMainStatus: status.execMainStatus,
            activeSince: status.activeEnterTimestamp > 0 ? Date(timeIntervalSince1970: Double(status.activeEnterTimestamp) / 1e6) : nil,
            watchdogSeconds: status.watchdogUsec > 0 ? Int(status.watchdogUsec / 1_000_000) : nil)
    }

    private func lastJournalLines(_ count: Int) -> [String] {
        guard let reader = try? JournalReader(), (try? reader.matchUserUnit(unitName)) != nil,
              let entries = try? reader.last(count) else { return [] }
        return entries.map(JournalLine.format)
    }
}
