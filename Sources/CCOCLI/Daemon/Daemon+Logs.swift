#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import CCOSystemd

extension Daemon {
    struct Logs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the daemon's last log lines, or follow the log across rotation.")

        @Option(name: [.customShort("n"), .customLong("lines")], help: "How many of the last lines to print.")
        var lines: Int = 50

        @Flag(name: [.short, .long], help: "Keep printing new lines (like tail -F); Ctrl-C ends.")
        var follow = false

        func validate() throws {
            guard lines >= 1 else { throw ValidationError("--lines must be at least 1") }
        }

        func run() throws {
            let environment = try CommandEnvironment.current()
            let paths = environment.paths
            if environment.serviceManagerKind == .systemd && environment.systemdService.isInstalled {
                try followJournal(unit: environment.systemdService.unitName)
                return
            }
            let tail: (lines: [String], size: Int)
            do { tail = try LogTail.lastLines(lines, of: paths.logFile) } catch {
                throw failure("\(error)")
            }
            if tail.lines.isEmpty && !follow && !FileSystem.exists(paths.logFile) {
                Terminal.error("no log yet at \(paths.logFile) (the daemon has not run with this state directory)")
                return
            }
            for line in tail.lines { Terminal.out(line) }
            guard follow else { return }
            // Ctrl-C ends following cleanly, with status 0 like a finished listing.
            signal(SIGINT) { _ in _exit(0) }
            signal(SIGPIPE) { _ in _exit(0) }
            LogTail.follow(path: paths.logFile, from: tail.size) { bytes in
                Terminal.writeBytes(STDOUT_FILENO, bytes)
            }
        }

        /// The unit's journal through sd-journal: what `journalctl --user -u UNIT -n N [-f]` shows.
        private func followJournal(unit: String) throws {
            do {
                let reader = try JournalReader()
                try reader.matchUserUnit(unit)
                for entry in try reader.last(lines) { Terminal.out(JournalLine.format(entry)) }
                guard follow else { return }
                signal(SIGINT) { _ in _exit(0) }
                signal(SIGPIPE) { _ in _exit(0) }
                while true {
                    try reader.wait(timeout: .seconds(1))
                    while let entry = try reader.next() { Terminal.out(JournalLine.format(entry)) }
                }
            } catch {
                throw failure("cannot read the journal: \(error); `journalctl --user -u \(unit)` may say more")
            }
        }
    }
}
