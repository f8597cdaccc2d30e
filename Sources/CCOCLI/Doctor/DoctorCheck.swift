/// One line of `cco doctor`: what was checked, how it stands, and for a problem the exact fix.
struct DoctorCheck: Encodable {
    enum Status: String, Encodable, Comparable {
        case ok, warn, fail

        static func < (a: Status, b: Status) -> Bool { a.order < b.order }
        private var order: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
    }

    /// A short name, e.g. `config`, `unit file`.
    let name: String
    var status: Status
    /// What was found, one line.
    var detail: String
    /// The command or edit that fixes it, for a warning or failure.
    var fix: String?
    /// What `--fix` did about it.
    var fixed: String?
    /// What `--fix` runs to repair it (modes, a stale PID file, a drifted unit), returning what it did.
    var repair: (() throws -> String)?

    enum CodingKeys: String, CodingKey { case name, status, detail, fix, fixed }

    static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, detail: detail)
    }

    static func warn(_ name: String, _ detail: String, fix: String? = nil) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, detail: detail, fix: fix)
    }

    static func fail(_ name: String, _ detail: String, fix: String? = nil, repair: (() throws -> String)? = nil) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix, repair: repair)
    }
}

/// `cco doctor --json`: one object.
struct DoctorReport: Encodable {
    let ok: Bool
    let failures: Int
    let warnings: Int
    let checks: [DoctorCheck]

    init(_ checks: [DoctorCheck]) {
        self.checks = checks
        failures = checks.filter { $0.status == .fail && $0.fixed == nil }.count
        warnings = checks.filter { $0.status == .warn }.count
        ok = failures == 0
    }
}
