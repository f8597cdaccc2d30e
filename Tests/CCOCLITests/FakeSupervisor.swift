@testable import CCOCLI
import CCOCore
import CCOSupervisor

/// A ``DaemonSupervisor`` that answers what a test sets and records every call, so each verb's
/// output and exit code can be checked without a daemon, a bus or launchd.
final class FakeSupervisor: DaemonSupervisor {
    enum Call: Equatable {
        case start(StartRequest), stop(Duration), restart(StartRequest), reload, status
        case install(DaemonConfig), planInstall, uninstall, enable(now: Bool), disable(now: Bool), logs(count: Int, follow: Bool)
    }

    let kind: SupervisorKind
    private(set) var calls: [Call] = []

    var started: Result<StartOutcome, DaemonError> = .failure(DaemonError(.startFailed, "not set"))
    var stopped: Result<StopOutcome, DaemonError> = .failure(DaemonError(.stopFailed, "not set"))
    var restarted: Result<RestartOutcome, DaemonError> = .failure(DaemonError(.startFailed, "not set"))
    var reloaded: Result<ReloadOutcome, DaemonError> = .failure(DaemonError(.notRunning, "not set"))
    var statusReport: Result<DaemonStatusReport, DaemonError> = .failure(DaemonError(.serviceManager, "not set"))
    var installed: Result<InstallOutcome, DaemonError> = .failure(DaemonError(.serviceManager, "not set"))
    var plan = InstallPlan(files: [], callsHeading: "", calls: [])
    var uninstalled: Result<[String], DaemonError> = .success([])
    var enabled: Result<EnableOutcome, DaemonError> = .failure(DaemonError(.notInstalled, "not set"))
    var disabled: Result<DisableOutcome, DaemonError> = .failure(DaemonError(.notInstalled, "not set"))
    var logLines: [String] = []
    var logsOutcome: Result<LogsOutcome, DaemonError> = .success(.printed)

    init(kind: SupervisorKind = .standalone) {
        self.kind = kind
    }

    func start(_ request: StartRequest) throws(DaemonError) -> StartOutcome { calls.append(.start(request)); return try started.get() }
    func stop(timeout: Duration) throws(DaemonError) -> StopOutcome { calls.append(.stop(timeout)); return try stopped.get() }
    func restart(_ request: StartRequest) throws(DaemonError) -> RestartOutcome { calls.append(.restart(request)); return try restarted.get() }
    func reload() throws(DaemonError) -> ReloadOutcome { calls.append(.reload); return try reloaded.get() }
    func status() throws(DaemonError) -> DaemonStatusReport { calls.append(.status); return try statusReport.get() }
    func install(config: DaemonConfig) throws(DaemonError) -> InstallOutcome { calls.append(.install(config)); return try installed.get() }
    func planInstall(config: DaemonConfig) -> InstallPlan { calls.append(.planInstall); return plan }
    func uninstall() throws(DaemonError) -> [String] { calls.append(.uninstall); return try uninstalled.get() }
    func enable(now: Bool) throws(DaemonError) -> EnableOutcome { calls.append(.enable(now: now)); return try enabled.get() }
    func disable(now: Bool) throws(DaemonError) -> DisableOutcome { calls.append(.disable(now: now)); return try disabled.get() }

    func logs(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome {
        calls.append(.logs(count: count, follow: follow))
        for line in logLines.suffix(count) { emit(line) }
        return try logsOutcome.get()
    }
}

/// What a command printed, line by line, on each stream.
final class RecordedConsole {
    private(set) var out: [String] = []
    private(set) var err: [String] = []

    var console: Console {
        Console(out: { [unowned self] in out.append($0) }, err: { [unowned self] in err.append($0) })
    }
}
