public import SystemPackage

/// How a job is queued (the `mode` argument of `StartUnit` and friends).
public enum JobMode: String, Sendable {
    case replace, fail, isolate, ignoreDependencies = "ignore-dependencies", ignoreRequirements = "ignore-requirements"
}

/// How a job ended, as the manager's `JobRemoved` signal reports it.
public enum JobResult: String, Sendable, Hashable {
    case done, canceled, timeout, failed, dependency, skipped
    /// The manager sent a result this binding does not know.
    case unknown
}

/// One change `EnableUnitFiles` / `DisableUnitFiles` made: `symlink` or `unlink`, the link, its target.
public struct UnitFileChange: Sendable, Hashable {
    public let type: String
    public let file: String
    public let destination: String
}

/// What `cco daemon status` shows of a service unit.
public struct UnitStatus: Sendable, Hashable {
    public var loadState: LoadState
    public var activeState: ActiveState
    /// e.g. `running`, `dead`, `auto-restart`, `start`.
    public var subState: String
    /// `enabled`, `disabled`, `static`, … (empty when there is no unit file).
    public var unitFileState: String
    /// `success`, `exit-code`, `signal`, `core-dump`, `timeout`, `watchdog`, `start-limit-hit`, …
    public var result: String
    public var mainPID: UInt32
    public var restarts: UInt32
    public var statusText: String
    public var execMainStatus: Int32
    /// `CLOCK_REALTIME` microseconds when the unit last entered `active`.
    public var activeEnterTimestamp: UInt64
    /// The watchdog timeout the manager applies (`WatchdogSec=`), 0 when off.
    public var watchdogUsec: UInt64 = 0

    public init(loadState: LoadState = .notFound, activeState: ActiveState = .inactive, subState: String = "", unitFileState: String = "",
                result: String = "", mainPID: UInt32 = 0, restarts: UInt32 = 0, statusText: String = "",
                execMainStatus: Int32 = 0, activeEnterTimestamp: UInt64 = 0) {
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.unitFileState = unitFileState
        self.result = result
        self.mainPID = mainPID
        self.restarts = restarts
        self.statusText = statusText
        self.execMainStatus = execMainStatus
        self.activeEnterTimestamp = activeEnterTimestamp
    }
}

/// The service manager (`org.freedesktop.systemd1`) on a bus: jobs, unit files, properties.
///
/// Each job method subscribes to `JobRemoved` before it enqueues the job and returns the job's
/// result; results of jobs nobody waits for are dropped with the subscription, so they never block
/// a later call. Corresponds to `org.freedesktop.systemd1(5)`.
public final class UnitManager {
    static let destination = "org.freedesktop.systemd1"
    static let managerPath = "/org/freedesktop/systemd1"
    static let managerInterface = "org.freedesktop.systemd1.Manager"

    public let bus: SystemdBus
    private var subscribed = false

    public init(bus: SystemdBus) {
        self.bus = bus
    }

    /// The manager's version, e.g. `252.39-1~deb12u2`.
    public func version() throws(BusError) -> String {
        try property(Self.managerPath, Self.managerInterface, "Version")
    }

    /// The numeric major version (252 for `252.39-1~deb12u2`), or nil when it cannot be read.
    public func majorVersion() throws(BusError) -> Int? {
        Int(try version().prefix { $0.isNumber })
    }

    /// `StartUnit`, waiting for the job's result.
    public func start(unit: String, mode: JobMode = .replace, timeout: Duration = .seconds(90)) throws(BusError) -> JobResult {
        try runJob("StartUnit", unit: unit, mode: mode, timeout: timeout)
    }

    /// `StopUnit`, waiting for the job's result.
    public func stop(unit: String, mode: JobMode = .replace, timeout: Duration = .seconds(90)) throws(BusError) -> JobResult {
        try runJob("StopUnit", unit: unit, mode: mode, timeout: timeout)
    }

    /// `RestartUnit`, waiting for the job's result.
    public func restart(unit: String, mode: JobMode = .replace, timeout: Duration = .seconds(90)) throws(BusError) -> JobResult {
        try runJob("RestartUnit", unit: unit, mode: mode, timeout: timeout)
    }

    /// `ReloadUnit`, waiting for the job's result.
    public func reload(unit: String, mode: JobMode = .replace, timeout: Duration = .seconds(90)) throws(BusError) -> JobResult {
        try runJob("ReloadUnit", unit: unit, mode: mode, timeout: timeout)
    }

    /// `EnableUnitFiles(files, runtime, force)`: creates the `[Install]` links.
    public func enableUnitFiles(_ files: [String], runtime: Bool = false, force: Bool = true) throws(BusError) -> [UnitFileChange] {
        let reply = try managerCall("EnableUnitFiles", [.strings(files), .bool(runtime), .bool(force)], "EnableUnitFiles \(files.joined(separator: " "))")
        _ = try reply.readBool()  // carries_install_info
        return try readChanges(reply)
    }

    /// `DisableUnitFiles(files, runtime)`: removes the `[Install]` links.
    public func disableUnitFiles(_ files: [String], runtime: Bool = false) throws(BusError) -> [UnitFileChange] {
        let reply = try managerCall("DisableUnitFiles", [.strings(files), .bool(runtime)], "DisableUnitFiles \(files.joined(separator: " "))")
        return try readChanges(reply)
    }

    /// `Reload`: re-reads all unit files (`systemctl daemon-reload`).
    public func reloadManager() throws(BusError) {
        _ = try managerCall("Reload", [], "Reload")
    }

    /// `ResetFailedUnit`: forgets a unit's failed state and its start-rate counter.
    public func resetFailed(unit: String) throws(BusError) {
        _ = try managerCall("ResetFailedUnit", [.string(unit)], "ResetFailedUnit \(unit)")
    }

    /// The unit's state and, for a service, its main process and results.
    ///
    /// One round trip: `Properties.GetAll` with an empty interface name answers the properties of
    /// every interface at once (Unit, and Service for a service), on the unit's path from
    /// ``UnitName/objectPath(of:)``, which loads the unit as `LoadUnit` would. `cco daemon status`
    /// runs this on every call.
    public func status(of unit: String) throws(BusError) -> UnitStatus {
        let properties = try allProperties(of: UnitName.objectPath(of: unit))
        func string(_ name: String) -> String {
            if case .string(let s)? = properties[name] { return s }
            return ""
        }
        func integer(_ name: String) -> Int64 {
            if case .integer(let i)? = properties[name] { return i }
            return 0
        }
        var status = UnitStatus()
        status.loadState = LoadState(string("LoadState"))
        status.activeState = ActiveState(string("ActiveState"))
        status.subState = string("SubState")
        status.unitFileState = string("UnitFileState")
        status.activeEnterTimestamp = UInt64(bitPattern: integer("ActiveEnterTimestamp"))
        // The Service interface's fields, for a loaded .service only (a .socket unit has Socket).
        guard status.loadState == .loaded, unit.hasSuffix(".service") else { return status }
        status.result = string("Result")
        status.statusText = string("StatusText")
        status.mainPID = UInt32(truncatingIfNeeded: integer("MainPID"))
        status.restarts = UInt32(truncatingIfNeeded: integer("NRestarts"))
        status.execMainStatus = Int32(truncatingIfNeeded: integer("ExecMainStatus"))
        status.watchdogUsec = UInt64(bitPattern: integer("WatchdogUSec"))
        return status
    }

    /// Every interface's properties of an object: `org.freedesktop.DBus.Properties.GetAll("")`.
    private func allProperties(of path: String) throws(BusError) -> [String: BusReply.Value] {
        let reply = try bus.call(destination: Self.destination, path: path, interface: "org.freedesktop.DBus.Properties",
                                 member: "GetAll", [.string("")], description: "GetAll \(path)")
        return try reply.readProperties()
    }

    // MARK: - Internals

    private func managerCall(_ member: String, _ arguments: [SystemdBus.Argument], _ description: String) throws(BusError) -> BusReply {
        try bus.call(destination: Self.destination, path: Self.managerPath, interface: Self.managerInterface,
                     member: member, arguments, description: description)
    }

    private func readChanges(_ reply: BusReply) throws(BusError) -> [UnitFileChange] {
        var changes: [UnitFileChange] = []
        guard try reply.enter("a", "(sss)") else { return changes }
        while try reply.enter("r", "sss") {
            changes.append(UnitFileChange(type: try reply.readString() ?? "", file: try reply.readString() ?? "",
                                          destination: try reply.readString() ?? ""))
            reply.exit()
        }
        reply.exit()
        return changes
    }

    /// Enqueues a job and waits for its `JobRemoved`. The match is added before the call, so a job
    /// that finishes at once is not missed.
    private func runJob(_ member: String, unit: String, mode: JobMode, timeout: Duration) throws(BusError) -> JobResult {
        let operation = "\(member) \(unit)"
        if !subscribed {
            // Without a subscriber the manager may not broadcast job signals.
            _ = try managerCall("Subscribe", [], "Subscribe")
            subscribed = true
        }
        let watch = JobWatch()
        let slot = try watch.subscribe(on: bus)
        defer { watch.unsubscribe(slot) }
        let reply = try managerCall(member, [.string(unit), .string(mode.rawValue)], operation)
        guard let job = try reply.readString("o") else {
            throw BusError(name: nil, message: "no job in the reply", errno: .ioError, operation: operation)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let result = watch.results[job] { return result }
            let left = deadline - clock.now
            if left <= .zero {
                throw BusError(name: nil, message: "job \(job) did not finish within \(timeout)", errno: .timedOut, operation: operation)
            }
            try bus.processOrWait(timeout: min(left, .milliseconds(250)))
        }
    }

    private func property(_ path: String, _ interface: String, _ name: String) throws(BusError) -> String {
        #if os(Linux)
        let (r, value): (CInt, String?) = withBusError { error in
            systemd_bus_get_property_string(bus.handle, Self.destination, path, interface, name, error)
        }
        if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read \(name)") }
        return value ?? ""
        #else
        return ""
        #endif
    }
}

@available(*, unavailable)
extension UnitManager: Sendable {}

/// Collects `JobRemoved(u id, o job, s unit, s result)` while a job method waits.
final class JobWatch {
    var results: [String: JobResult] = [:]

    func subscribe(on bus: SystemdBus) throws(BusError) -> OpaquePointer? {
        #if os(Linux)
        var slot: OpaquePointer?
        let r = systemd_bus_match_signal(
            bus.handle, &slot, UnitManager.destination, UnitManager.managerPath, UnitManager.managerInterface, "JobRemoved",
            { message, userdata, _ in
                guard let message, let userdata else { return 0 }
                let watch = Unmanaged<JobWatch>.fromOpaque(userdata).takeUnretainedValue()
                _ = systemd_bus_message_read_uint32(message)
                let (_, job) = systemd_bus_message_read_string(message, "o")
                let (_, _) = systemd_bus_message_read_string(message, "s")
                let (_, result) = systemd_bus_message_read_string(message, "s")
                if let job { watch.results[job] = result.flatMap(JobResult.init(rawValue:)) ?? .unknown }
                return 0
            },
            Unmanaged.passUnretained(self).toOpaque())
        try bus.check(r, "subscribe to JobRemoved")
        return slot
        #else
        return nil
        #endif
    }

    func unsubscribe(_ slot: OpaquePointer?) {
        #if os(Linux)
        if let slot { systemd_bus_slot_unref(slot) }
        #endif
    }
}
