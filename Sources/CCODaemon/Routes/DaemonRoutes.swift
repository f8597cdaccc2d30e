import CCOCore
import CCOSystemd
import CCOGateway
import Hummingbird
import NIOPosix

/// Who runs the daemon, as `/api/daemon` reports it.
enum DaemonMode: String, Sendable {
    case standalone, systemd, launchd

    /// systemd when its notification socket is kept (not `cco daemon start`'s readiness-only one);
    /// launchd when `XPC_SERVICE_NAME` names a job (a terminal on macOS has it set to `0`).
    init(underServiceManager: Bool, environment: [String: String]) {
        if underServiceManager {
            self = .systemd
        } else if let job = environment["XPC_SERVICE_NAME"], !job.isEmpty, job != "0" {
            self = .launchd
        } else {
            self = .standalone
        }
    }
}

/// `GET /api/daemon`: the daemon view of the dashboard. What `cco daemon status` shows, from the
/// daemon's side: mode, pid, version, uptime, health, the unit's state and restarts under systemd,
/// and the last lines of its log (the journal, or `daemon.log`). No credentials: not the admin
/// token, not the config's contents.
struct DaemonRoutes: Sendable {
    struct Info: ResponseEncodable {
        struct Health: Codable {
            let status: String
            let database: String
        }

        struct Unit: Codable {
            let name: String
            let active_state: String
            let sub_state: String
            let unit_file_state: String
            let result: String
            /// systemd's `NRestarts`: automatic restarts after failures.
            let restarts: Int
            let status_text: String
        }

        let mode: String
        let pid: Int32
        let version: String
        let started_at: String
        let uptime_s: Double
        let phase: String
        let address: String
        let state_directory: String
        /// The daemon this one replaced (`cco daemon restart`, zero-downtime), when it did.
        let replaced_pid: Int32?
        let health: Health
        let unit: Unit?
        /// Why the unit's state could not be read, under systemd.
        let unit_problem: String?
        /// `journal (UNIT)` or the log file's path.
        let log_source: String
        let log: [String]
    }

    let identity: DaemonIdentity
    let state: ServingState
    let mode: DaemonMode
    let host: String
    let paths: CCOPaths
    /// Logs go to the journal (else to `paths.logFile`).
    let logsToJournal: Bool
    let replacedPID: Int32?
    let databaseProblem: @Sendable () -> String?
    /// The user unit this process runs in, under systemd: read once, from its cgroup.
    let unitName: String?
    static let logLines = 30

    init(identity: DaemonIdentity, state: ServingState, mode: DaemonMode, host: String, paths: CCOPaths, logsToJournal: Bool,
         replacedPID: Int32?, databaseProblem: @escaping @Sendable () -> String?) {
        self.identity = identity
        self.state = state
        self.mode = mode
        self.host = host
        self.paths = paths
        self.logsToJournal = logsToJournal
        self.replacedPID = replacedPID
        self.databaseProblem = databaseProblem
        unitName = mode == .systemd ? UnitName.ofThisProcess() : nil
    }

    func register(on router: Router<ConnectionContext>) {
        router.get("/api/daemon") { _, _ -> Info in
            try await NIOThreadPool.singleton.runIfActive { info() }
        }
    }

    /// Reads the unit over the bus and the log's end: blocking calls, run on the thread pool.
    func info() -> Info {
        let problem = databaseProblem()
        var unit: Info.Unit?
        var unitProblem: String?
        if mode == .systemd {
            if let unitName {
                do {
                    let status = try UnitManager(bus: try SystemdBus.user()).status(of: unitName)
                    unit = Info.Unit(name: unitName, active_state: status.activeState.description, sub_state: status.subState,
                                     unit_file_state: status.unitFileState, result: status.result, restarts: Int(status.restarts),
                                     status_text: status.statusText)
                } catch {
                    unitProblem = "cannot read \(unitName) over the user bus: \(error)"
                }
            } else {
                unitProblem = "this process is in no user unit"
            }
        }
        let (source, lines) = logTail(unit: unitName)
        return Info(
            mode: mode.rawValue, pid: identity.pid, version: identity.version, started_at: identity.startedAtText,
            uptime_s: identity.uptimeSeconds,
            phase: state.current.name, address: DaemonConfig.baseURL(host: host, port: state.port),
            state_directory: paths.stateDirectory, replaced_pid: replacedPID,
            health: .init(status: problem == nil ? "ok" : "unhealthy", database: problem ?? "ok"),
            unit: unit, unit_problem: unitProblem, log_source: source, log: lines)
    }

    private func logTail(unit: String?) -> (source: String, lines: [String]) {
        if logsToJournal {
            guard let unit else { return ("journal", []) }
            do {
                let reader = try JournalReader()
                try reader.matchUserUnit(unit)
                return ("journal (\(unit))", try reader.last(Self.logLines).map(JournalLine.format))
            } catch {
                return ("journal (\(unit))", ["cannot read the journal: \(error)"])
            }
        }
        do {
            return (paths.logFile, try LogTail.lastLines(Self.logLines, of: paths.logFile).lines)
        } catch {
            return (paths.logFile, ["cannot read \(paths.logFile): \(error)"])
        }
    }
}
