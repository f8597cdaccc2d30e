public import CCOCore

/// `daemon.log` and its rotated files, which the daemon writes when no journal takes its lines
/// (standalone, and under launchd).
struct DaemonLogFile {
    let paths: CCOPaths

    /// The last `count` lines, then with `follow` every new line across rotations, until the
    /// process is interrupted.
    func print(last count: Int, follow: Bool, _ emit: (String) -> Void) throws(DaemonError) -> LogsOutcome {
        let tail: (lines: [String], size: Int)
        do { tail = try LogTail.lastLines(count, of: paths.logFile) } catch {
            throw DaemonError(.stateDirectory, "\(error)")
        }
        if tail.lines.isEmpty && !follow && !FileSystem.exists(paths.logFile) {
            return .noLogYet(path: paths.logFile)
        }
        for line in tail.lines { emit(line) }
        guard follow else { return .printed }
        // Whole lines only: a chunk read may end in the middle of one.
        var pending: [UInt8] = []
        LogTail.follow(path: paths.logFile, from: tail.size) { bytes in
            pending += bytes
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                emit(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        return .printed
    }
}
