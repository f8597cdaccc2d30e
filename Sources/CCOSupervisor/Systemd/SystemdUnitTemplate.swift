public import CCOCore
internal import CCOSystemd

/// The systemd user unit, rendered from the template that ships as `systemd/cco-daemon.service`
/// (the text below; a test keeps the two identical).
public struct SystemdUnitTemplate: Sendable, Hashable {
    /// The unit's name.
    public static let unitName = "cco-daemon.service"

    /// The template: `{{FIELD}}` placeholders; a line whose field renders empty is dropped.
    public static let template = #"""
# cco daemon: the local CCO server as a systemd user service.
# `cco daemon install` renders this template into ~/.config/systemd/user/cco-daemon.service,
# filling in the fields in double braces; a line whose field is empty is left out.
[Unit]
Description=cco daemon (local CCO server)
After=network.target
{{SOCKET_REQUIRES}}
{{SOCKET_AFTER}}
# At most 5 starts in 60 s, then the unit stays failed (start-limit-hit) instead of looping.
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type={{TYPE}}
ExecStart={{EXEC}} daemon run
{{EXEC_RELOAD}}
{{ENVIRONMENT}}
{{WATCHDOG}}
TimeoutStartSec=30
TimeoutStopSec=15
# Swift's crash backtracer catches the watchdog's SIGABRT and holds the process; kill it soon.
TimeoutAbortSec=5
# The daemon keeps its listening socket here (FDSTORE=1) and gets it back after a restart, so a
# restart never closes it: connections wait in the kernel's queue meanwhile.
FileDescriptorStoreMax=1
# Two descriptors per call in flight (client and upstream): the default soft limit of 1024 would
# cap it at a few hundred streams, and @resources below keeps the daemon from raising it itself.
LimitNOFILE=65536
Restart=on-failure
RestartSec=1
# 78 (EX_CONFIG) is a configuration error: restarting cannot help.
RestartPreventExitStatus=78
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=-{{STATE_DIR}}
{{DATABASE_DIR}}
PrivateTmp=yes
# AF_NETLINK: the daemon asks the kernel (sock_diag) who owns each loopback connection.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
LockPersonality=yes
# Sandboxing that works in a user unit (checked against systemd 252 by the tests). PrivateDevices=,
# ProtectClock=, ProtectKernelModules=, ProtectKernelLogs= and PrivateUsers= need capabilities or a
# user namespace there and fail the start (status 218, 226). scripts/faults reports the exposure.
PrivateMounts=yes
KeyringMode=private
ProtectHome=read-only
ProtectKernelTunables=yes
ProtectControlGroups=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
UMask=0077
{{MEMORY_DENY_WRITE_EXECUTE}}

[Install]
WantedBy=default.target

"""#

    /// Absolute path of the `cco` executable the unit runs.
    public var executable: String
    /// The state directory, made writable under `ProtectSystem=strict`.
    public var stateDirectory: String
    /// Set as `Environment=CCO_HOME=…` when the user chose a state directory other than `~/.cco`.
    public var ccoHome: String?
    /// The manager's major version: 253 and later know `Type=notify-reload`.
    public var managerVersion: Int
    /// `WatchdogSec=` from `health_check_interval` when `health_checks` is true.
    public var watchdogSeconds: Int?
    /// The directory of an absolute `database_url` outside the state directory, made writable too.
    public var databaseDirectory: String?
    /// Whether `MemoryDenyWriteExecute=yes` is set (the Swift runtime does not generate code).
    public var memoryDenyWriteExecute: Bool = true
    /// `socket_activation`: the service needs `cco-daemon.socket`, which listens for it.
    public var socketActivation: Bool

    public init(executable: String, stateDirectory: String, ccoHome: String?, managerVersion: Int, config: DaemonConfig) {
        self.executable = executable
        self.stateDirectory = stateDirectory
        self.ccoHome = ccoHome
        self.managerVersion = managerVersion
        self.watchdogSeconds = config.healthChecks ? config.healthCheckInterval : nil
        self.socketActivation = config.socketActivation
        if case .absolute(let path)? = DatabaseLocation(url: config.databaseURL) {
            let directory = AtomicFile.parentDirectory(of: path)
            if directory != stateDirectory && !directory.hasPrefix(stateDirectory + "/") { databaseDirectory = directory }
        }
    }

    /// `Type=notify-reload` makes systemd itself send SIGHUP and wait for `READY=1` on reload.
    public var usesNotifyReload: Bool { managerVersion >= 253 }

    public func render() -> String {
        let fields: [String: String] = [
            "TYPE": usesNotifyReload ? "notify-reload" : "notify",
            "EXEC": UnitFileEscaping.execWord(executable),
            "EXEC_RELOAD": usesNotifyReload ? "" : "ExecReload=/bin/kill -HUP $MAINPID",
            "ENVIRONMENT": ccoHome.map { "Environment=" + UnitFileEscaping.quoted("CCO_HOME=" + $0) } ?? "",
            "WATCHDOG": watchdogSeconds.map { "WatchdogSec=\($0)" } ?? "",
            "STATE_DIR": UnitFileEscaping.quoted(stateDirectory),
            "DATABASE_DIR": databaseDirectory.map { "ReadWritePaths=-" + UnitFileEscaping.quoted($0) } ?? "",
            "MEMORY_DENY_WRITE_EXECUTE": memoryDenyWriteExecute ? "MemoryDenyWriteExecute=yes" : "",
            "SOCKET_REQUIRES": socketActivation ? "Requires=" + SystemdSocketTemplate.unitName : "",
            "SOCKET_AFTER": socketActivation ? "After=" + SystemdSocketTemplate.unitName : "",
        ]
        var lines: [String] = []
        for line in Self.template.split(separator: "\n", omittingEmptySubsequences: false) {
            var rendered = String(line)
            var hadField = false
            for (name, value) in fields where rendered.contains("{{" + name + "}}") {
                hadField = true
                rendered = rendered.replacing("{{" + name + "}}", with: value)
            }
            if hadField && rendered.allSatisfy({ $0 == " " }) { continue }
            lines.append(rendered)
        }
        return lines.joined(separator: "\n")
    }
}
