import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore

/// A real systemd-journald, `systemd --user` manager and user D-Bus in a private mount namespace, with
/// a fresh home, for an unprivileged user (scripts/systemd-sandbox does the setting up). Each test
/// gets its own; the built `cco` is copied where that user can run it.
final class SystemdSandbox {
    static let user = "cco-sdtest"
    static let script: String = {
        // Tests/CCOIntegrationTests/Support/SystemdSandbox.swift → the package root
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("scripts/systemd-sandbox").path
    }()

    /// Why no sandbox can be had here, or nil when one can (root, and the tools of Debian's
    /// systemd, dbus-user-session and util-linux).
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root: a private mount namespace and a test user need root" }
        for tool in ["/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/lib/systemd/systemd",
                     "/usr/lib/systemd/systemd-journald", "/usr/bin/dbus-daemon", "/usr/bin/strace"] where access(tool, X_OK) != 0 {
            return "\(tool) is missing (apt-get install systemd dbus-user-session util-linux strace)"
        }
        return nil
    }()

    static var isAvailable: Bool {
        if let reason = unavailableReason {
            print("systemd sandbox unavailable, skipping the real-systemd tests: \(reason)")
            return false
        }
        return true
    }

    let directory: String
    let cco: String
    private let process: Process
    private(set) var home = ""

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cco-sd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
        cco = directory + "/bin/cco"
        try copyExecutable(CCOProcess.executable, to: cco)
        // `cco daemon run` (the unit's ExecStart) execs cco-daemon from beside cco.
        let daemon = DaemonExecutable.path(besideCLI: cco)
        try copyExecutable(DaemonExecutable.path(besideCLI: CCOProcess.executable), to: daemon)
        chmod(directory, 0o755)
        chmod(directory + "/bin", 0o755)
        chmod(cco, 0o755)
        chmod(daemon, 0o755)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        process.arguments = ["start", directory, Self.user]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        guard eventually(timeout: .seconds(20), { FileManager.default.fileExists(atPath: directory + "/ready") }) else {
            stop()
            throw TestFailure("the systemd sandbox did not come up; see \(directory)/manager.log")
        }
        home = directory + "/home"
    }

    deinit { stop() }

    /// Tears everything down (manager, daemon, journald) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        FileManager.default.createFile(atPath: directory + "/stop", contents: nil)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a command as the sandbox's user, as after a login.
    @discardableResult
    func run(_ arguments: [String]) throws -> CCOProcess.Result {
        try CCOProcess.runToCompletion(Self.script, ["exec", directory] + arguments)
    }

    /// `cco ARGS…` as the sandbox's user.
    @discardableResult
    func cco(_ arguments: String...) throws -> CCOProcess.Result {
        try run([cco] + arguments)
    }

    /// A shell command as the sandbox's user.
    @discardableResult
    func sh(_ command: String) throws -> CCOProcess.Result {
        try run(["/bin/sh", "-c", command])
    }

    /// One property of the unit, as `systemctl --user show -p NAME --value` prints it.
    func unitProperty(_ name: String) throws -> String {
        try sh("systemctl --user show cco-daemon.service -p \(name) --value").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
