import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore
import Testing

/// `cco doctor` on a healthy and on a broken setup, standalone; the unit's checks run in
/// SystemdIntegrationTests.
@Suite struct DoctorTests {
    /// `status` and `detail` of each check, by name (the last when a name repeats).
    static func checks(_ cco: CCOProcess, extra: [String: String] = [:], fix: Bool = false) throws -> (status: Int32, checks: [[String: String]]) {
        let result = try cco.run(["doctor", "--json"] + (fix ? ["--fix"] : []), extraEnvironment: extra)
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let checks = object["checks"] as? [[String: String]] else {
            throw TestFailure("cco doctor --json printed no report (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return (result.status, checks)
    }

    static func check(_ checks: [[String: String]], _ name: String) -> [String: String] {
        checks.last { $0["name"] == name } ?? [:]
    }

    @Test func aHealthySetupPassesEveryCheck() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url)
            // configure writes as Foundation does (0755, 0644); the daemon makes its own files 0600.
            chmod(cco.stateDirectory, 0o700)
            chmod(cco.paths.configFile, 0o600)
            let (_, port) = try cco.startOnFreePort()
            _ = try await HTTP.message(port: port)
            let env = ["CLAUDE_CONFIG_DIR": cco.stateDirectory + "/claude"]
            #expect(try cco.run(["setup", "claude-code"], extraEnvironment: env).status == 0)
            let (status, checks) = try Self.checks(cco, extra: env)
            #expect(status == 0, "\(checks)")
            #expect(checks.allSatisfy { $0["status"] == "ok" }, "\(checks.filter { $0["status"] != "ok" })")
            #expect(Self.check(checks, "health")["detail"]?.hasPrefix("/health answers in ") == true)
            #expect(Self.check(checks, "database")["detail"]?.contains("passes PRAGMA integrity_check, schema version 2") == true)
            #expect(Self.check(checks, "cco-daemon")["detail"]?.hasSuffix("version \(CCOVersion.current)") == true)
            let text = try cco.run(["doctor"], extraEnvironment: env)
            #expect(text.status == 0 && text.stdout.hasSuffix("\nno problems found\n"), "\(text.stdout)")
            #expect(text.stdout.contains("ok    claude code  \(Setup.settings(cco.stateDirectory)) points Claude Code at http://127.0.0.1:"), "\(text.stdout)")
        }
    }

    @Test func eachBrokenPieceIsAFailureWithItsFixAndFixRepairsTheSafeOnes() throws {
        try withStateDirectory { cco in
            try cco.configure(upstream: "http://127.0.0.1:9")
            let (pid, _) = try cco.startOnFreePort()
            kill(pid, SIGKILL)
            #expect(eventually { ProcessIdentity.of(pid: pid)?.isAlive != true })
            // Loose modes, a readable admin token, a port someone else holds, a corrupt database.
            let listener = try Listener()
            try "port = \(listener.port)\nupstream_url = \"http://127.0.0.1:9\"\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            chmod(cco.paths.configFile, 0o644)
            chmod(cco.stateDirectory, 0o755)
            chmod(cco.paths.adminTokenFile, 0o640)
            let database = cco.stateDirectory + "/analytics.db"
            // The killed daemon's pages are still in the WAL: replace the file and drop the WAL.
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            try Data(repeating: 0xAB, count: 8192).write(to: URL(fileURLWithPath: database))

            let (status, checks) = try Self.checks(cco)
            #expect(status == 1)
            let daemon = Self.check(checks, "daemon")
            #expect(daemon["status"] == "fail" && daemon["detail"]?.contains("names pid \(pid), which is not running") == true, "\(daemon)")
            #expect(daemon["fix"]?.hasPrefix("rm \(cco.paths.pidFile)") == true)
            let modes = checks.filter { $0["name"] == "state files" }
            #expect(modes.count == 2 && modes.allSatisfy { $0["status"] == "fail" }, "\(modes)")
            #expect(modes.contains { $0["fix"] == "chmod 600 \(cco.paths.configFile)" })
            #expect(modes.contains { $0["fix"] == "chmod 700 \(cco.stateDirectory)" })
            #expect(Self.check(checks, "admin token")["fix"] == "chmod 600 \(cco.paths.adminTokenFile)")
            let port = Self.check(checks, "port")
            #expect(port["status"] == "fail" && port["detail"]?.contains("127.0.0.1:\(listener.port) is taken by pid \(getpid())") == true, "\(port)")
            let db = Self.check(checks, "database")
            #expect(db["status"] == "fail", "\(db)")
            #expect(Self.check(checks, "claude code")["status"] == "warn")
            #expect(Self.check(checks, "claude code")["fix"] == "cco setup claude-code")

            let text = try cco.run("doctor")
            #expect(text.stdout.contains("fail  daemon"), "\(text.stdout)")
            #expect(text.stdout.contains("fix: chmod 600 \(cco.paths.configFile) (cco doctor --fix does it)"))
            #expect(text.stdout.contains("; `cco doctor --fix` repairs 4 of them\n"), "\(text.stdout)")

            let fixed = try cco.run("doctor", "--fix")
            #expect(fixed.status == 1, "the port and the database are not for --fix to repair")
            #expect(fixed.stdout.contains("fixed daemon") && fixed.stdout.contains("removed \(cco.paths.pidFile)"), "\(fixed.stdout)")
            #expect(fixed.stdout.contains("chmod 600 \(cco.paths.configFile)") && fixed.stdout.contains("4 fixed"))
            #expect(!FileManager.default.fileExists(atPath: cco.paths.pidFile))
            #expect(FileSystem.mode(of: cco.paths.configFile) == 0o600 && FileSystem.mode(of: cco.stateDirectory) == 0o700)
            #expect(FileSystem.mode(of: cco.paths.adminTokenFile) == 0o600)
            let after = try Self.checks(cco)
            #expect(after.checks.filter { $0["status"] == "fail" }.compactMap { $0["name"] }.sorted() == ["database", "port"])

            // A broken config is named with its line.
            try "port = \"abc\"\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let config = Self.check(try Self.checks(cco).checks, "config")
            #expect(config["status"] == "fail" && config["detail"]?.hasPrefix("\(cco.paths.configFile):1: `port` must be") == true, "\(config)")
        }
    }

    @Test func aMissingDaemonExecutableIsNamed() throws {
        try withStateDirectory { cco in
            let lonely = cco.stateDirectory + "-bin"
            try FileManager.default.createDirectory(atPath: lonely, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: lonely) }
            try copyExecutable(CCOProcess.executable, to: lonely + "/cco")
            let result = try CCOProcess.runToCompletion(lonely + "/cco", ["doctor"], environment: cco.environment)
            #expect(result.status == 1)
            #expect(result.stdout.contains("fail  cco-daemon   \(lonely)/cco-daemon is missing or not executable"), "\(result.stdout)")
            #expect(result.stdout.contains("fix: build both with scripts/start"))
        }
    }
}

enum Setup {
    static func settings(_ state: String) -> String { state + "/claude/settings.json" }
}

/// `cco setup shell`: cco on the PATH, completions where bash, zsh and fish look, man pages.
@Suite struct ShellSetupTests {
    @Test func setupLinksCcoAndInstallsCompletionsAndManPagesThatWork() throws {
        try withStateDirectory { cco in
            let home = cco.stateDirectory + "/home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let env = ["HOME": home]
            let first = try cco.run(["setup", "shell"], extraEnvironment: env)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("linked \(home)/.local/bin/cco → "), "\(first.stdout)")
            #expect(first.stdout.contains("\(home)/.local/bin is not on your PATH: add `export PATH=\"$HOME/.local/bin:$PATH\"`"))
            #expect(URL(fileURLWithPath: home + "/.local/bin/cco").resolvingSymlinksInPath().path == CCOProcess.executable.resolvedPath)
            for file in ["/.local/share/bash-completion/completions/cco", "/.local/share/zsh/site-functions/_cco",
                         "/.config/fish/completions/cco.fish", "/.local/share/man/man1/cco.1", "/.local/share/man/man1/cco-daemon-start.1",
                         "/.local/share/man/man1/cco-budget-set.1", "/.local/share/man/man1/cco-setup-claude-code.1"] {
                #expect(FileManager.default.fileExists(atPath: home + file), "\(file)")
            }
            #expect(try String(contentsOfFile: home + "/.config/fish/completions/cco.fish", encoding: .utf8).contains("complete -c 'cco'"))
            #expect(try String(contentsOfFile: home + "/.local/share/zsh/site-functions/_cco", encoding: .utf8).hasPrefix("#compdef cco"))
            let again = try cco.run(["setup", "shell"], extraEnvironment: env.merging(["PATH": "\(home)/.local/bin:/usr/bin:/bin"]) { $1 })
            #expect(again.stdout.hasPrefix("unchanged: "), "\(again.stdout)")
            #expect(!again.stdout.contains("is not on your PATH"))

            // bash with bash-completion finds the completion by itself (from XDG_DATA_HOME) and
            // offers the daemon's verbs that start with "st".
            let script = """
                source /usr/share/bash-completion/bash_completion
                __load_completion cco || exit 3
                function=$(complete -p cco | sed -E 's/.*-F ([^ ]+) .*/\\1/')
                COMP_WORDS=(cco daemon st); COMP_CWORD=2; COMP_LINE="cco daemon st"; COMP_POINT=${#COMP_LINE}
                "$function" cco st daemon
                printf '%s\\n' "${COMPREPLY[@]}" | sort
                """
            let bash = try CCOProcess.runToCompletion("/bin/bash", ["--norc", "--noprofile", "-c", script],
                                                      environment: ["HOME": home, "PATH": "\(home)/.local/bin:/usr/bin:/bin", "XDG_DATA_HOME": home + "/.local/share"])
            #expect(bash.status == 0, "\(bash.stderr)")
            #expect(bash.stdout == "start\nstatus\nstop\n", "\(bash.stdout) \(bash.stderr)")

            // man finds cco(1) through the PATH (~/.local/bin → ~/.local/share/man) and renders it.
            let manEnv = ["HOME": home, "PATH": "\(home)/.local/bin:/usr/bin:/bin", "MANPAGER": "cat", "MANWIDTH": "100", "LANG": "C.UTF-8"]
            let found = try CCOProcess.runToCompletion("/usr/bin/man", ["-w", "cco"], environment: manEnv)
            #expect(found.stdout == "\(home)/.local/share/man/man1/cco.1\n", "\(found.stdout) \(found.stderr)")
            let page = try CCOProcess.runToCompletion("/usr/bin/man", ["cco-daemon-start"], environment: manEnv)
            #expect(page.status == 0, "\(page.stderr)")
            #expect(page.stdout.contains("NAME") && page.stdout.contains("cco-daemon-start - Start the daemon"), "\(page.stdout)")
            #expect(page.stdout.contains("--port port") && page.stdout.contains("SEE ALSO"), "\(page.stdout)")
        }
    }

    @Test func aFileWhereTheLinkGoesIsLeftAlone() throws {
        try withStateDirectory { cco in
            let home = cco.stateDirectory + "/home"
            try FileManager.default.createDirectory(atPath: home + "/.local/bin", withIntermediateDirectories: true)
            try "#!/bin/sh\n".write(toFile: home + "/.local/bin/cco", atomically: true, encoding: .utf8)
            let result = try cco.run(["setup", "shell"], extraEnvironment: ["HOME": home])
            #expect(result.status == 1)
            #expect(result.stderr == "error: \(home)/.local/bin/cco exists and is a file, not a link; move it away, then run `cco setup shell` again; nothing was changed\n")
            #expect(try String(contentsOfFile: home + "/.local/bin/cco", encoding: .utf8) == "#!/bin/sh\n")
        }
    }
}
