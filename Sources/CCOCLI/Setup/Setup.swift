#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOCore
import SystemPackage

/// `cco setup`: connecting other tools to the daemon.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set cco up for your shell and point Claude Code at the daemon.",
        subcommands: [ClaudeCode.self, Shell.self])
}

extension Setup {
    struct ClaudeCode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "claude-code",
            abstract: "Point Claude Code at the daemon: env.ANTHROPIC_BASE_URL and statusLine in its settings.json.",
            discussion: """
                Edits ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json when that is set): every \
                other key stays as it was, the file keeps its mode, and it is replaced atomically. \
                A file that is not valid JSON is left alone.
                """)

        @Flag(help: "Print the change as a diff and write nothing.")
        var dryRun = false

        func run() throws {
            let environment = try CommandEnvironment.current()
            let settingsPath = Self.settingsPath(environment.variables)
            let target = FileSystem.resolvingSymlinks(settingsPath)
            let baseURL = try Self.daemonURL(environment)
            let command = "\(environment.executable) statusline"

            let current: String?
            do { current = try FileSystem.readTextIfExists(target) } catch { throw failure("cannot read \(settingsPath): \(error)") }
            let edit: ClaudeSettings.Edit
            do {
                edit = try ClaudeSettings.edit(current, baseURL: baseURL, statusCommand: command)
            } catch {
                throw failure("\(settingsPath) is not valid JSON (\(error)); fix it or move it away, then run `cco setup claude-code` again; nothing was changed")
            }
            guard !edit.changes.isEmpty else {
                Terminal.out("unchanged: \(settingsPath) already points Claude Code at \(baseURL) with `cco statusline`")
                return
            }
            if dryRun {
                Terminal.write(STDOUT_FILENO, ClaudeSettings.diff(current ?? "", edit.text, oldName: current == nil ? "/dev/null" : settingsPath, newName: settingsPath))
                Terminal.out("dry run: nothing was changed")
                return
            }
            let mode = FileSystem.mode(of: target) ?? 0o600
            do {
                try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: target), mode: 0o700)
                try AtomicFile.write(edit.text, to: target, permissions: FilePermissions(rawValue: CModeT(mode)))
            } catch {
                throw failure("cannot write \(settingsPath): \(error); nothing was changed")
            }
            Terminal.out("\(current == nil ? "wrote" : "updated") \(settingsPath) (Claude Code sessions started from now on use it):")
            for change in edit.changes {
                Terminal.out("  \(change.key) = \(change.new)" + (change.old.map { " (was \($0))" } ?? ""))
            }
        }

        /// `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`.
        static func settingsPath(_ variables: [String: String]) -> String {
            if let dir = variables["CLAUDE_CONFIG_DIR"], !dir.isEmpty { return dir + "/settings.json" }
            return (variables["HOME"] ?? "") + "/.claude/settings.json"
        }

        /// The running daemon's address (its real port), else the config's.
        static func daemonURL(_ environment: CommandEnvironment) throws -> String {
            func reachable(_ host: String) -> String { host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host }
            if case .running(let record) = DaemonStatus.read(environment.paths) {
                return DaemonConfig.baseURL(host: reachable(record.host), port: record.port)
            }
            let config = try environment.loadConfig()
            guard config.port != 0 else {
                throw failure("`port` = 0 in \(environment.paths.configFile) picks a free port at each start: start the daemon first (cco daemon start), or set a port")
            }
            return DaemonConfig.baseURL(host: reachable(config.host), port: config.port)
        }
    }
}
