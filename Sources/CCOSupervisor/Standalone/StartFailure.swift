#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

/// Why a daemon did not start, in its own words: what it reported on the notification socket (or
/// the last line it printed), with the lines it logged during this start.
struct StartFailure {
    let paths: CCOPaths

    func error(pid: Int32, exit: ProcessSpawner.ChildExit, status: String?, errno: CInt?) -> DaemonError {
        var reason = status
        if reason == nil, let output = try? FileSystem.readTextIfExists(paths.daemonOutputFile) {
            reason = output.split(separator: "\n").last(where: { !$0.isEmpty }).map(String.init)
        }
        let code: DaemonError.Code
        if exit == .exited(DaemonExitStatus.configError) { code = .config }
        else if errno == EADDRINUSE { code = .addressInUse }
        else { code = .startFailed }
        return DaemonError(code, (reason ?? "the daemon exited during start-up (\(exit))") + lastLogLines(of: pid, besides: reason))
    }

    /// The last lines that the daemon `pid` wrote to its log, indented under the error; a line that
    /// only repeats `reason` is left out, so an error the daemon reported itself stays one line.
    /// Lines of earlier daemons are not this start's story and are skipped.
    func lastLogLines(of pid: Int32, besides reason: String? = nil, _ count: Int = 5) -> String {
        guard let tail = try? LogTail.lastLines(200, of: paths.logFile) else { return "" }
        let lines = tail.lines.filter { line in
            guard let message = RotatingFileLogHandler.message(of: line, writtenBy: pid) else { return false }
            return reason.map { message != $0 } ?? true
        }.suffix(count)
        guard !lines.isEmpty else { return "" }
        return "\n  last log lines (\(paths.logFile)):\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }
}
