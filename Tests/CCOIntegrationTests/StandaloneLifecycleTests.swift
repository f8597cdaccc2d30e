import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOCore

/// The built `cco` binary against real processes, sockets, files and signals; each test has its own
/// state directory and a port the kernel picks, so they run in parallel.
@Suite struct StandaloneLifecycleTests {
    @Test func standaloneReloadSaysWhatWasAppliedAndWhatWaits() throws {
        try withStateDirectory { cco throws in
            let (pid, _) = try cco.startOnFreePort()
            try "log_level = \"debug\"\nclient_timeout = 5\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let reload = try cco.run("daemon", "reload")
            #expect(reload.status == 0, "\(reload.stderr)")
            #expect(reload.stdout == "reloaded: log_level = debug; client_timeout change at the next restart (cco daemon restart) (pid \(pid))\n")
            #expect(FileLock.holder(of: cco.paths.lockFile) == pid)
        }
    }

    @Test func aMissingDaemonBinaryIsOneLineThatSaysWhatToInstall() throws {
        try withStateDirectory { cco throws in
            let lonely = FileManager.default.temporaryDirectory.appendingPathComponent("cco-alone-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: lonely, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: lonely) }
            try copyExecutable(CCOProcess.executable, to: lonely + "/cco")
            for arguments in [["daemon", "start", "--port", "0"], ["daemon", "run", "--port", "0"]] {
                let result = try CCOProcess.runToCompletion(lonely + "/cco", arguments, environment: cco.environment)
                #expect(result.status == 1)
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1, "\(result.stderr)")
                #expect(result.stderr.contains("\(lonely)/cco-daemon") && result.stderr.contains("install cco-daemon next to cco"))
            }
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)
        }
    }

    @Test func startStatusHealthLogsStopStatus() throws {
        try withStateDirectory { cco throws in
            let notRunning = try cco.run("daemon", "status")
            #expect(notRunning.status == 3)
            #expect(notRunning.stdout.contains("not running"))

            let (pid, port) = try cco.startOnFreePort()
            #expect(port > 0)

            let status = try cco.run("daemon", "status")
            #expect(status.status == 0)
            #expect(status.stdout.contains("running (standalone)"))
            #expect(status.stdout.contains("pid: \(pid)"))
            #expect(status.stdout.contains("http://127.0.0.1:\(port)"))
            #expect(status.stdout.contains("health: ok"))

            let json = try cco.run("daemon", "status", "--json")
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(object?["state"] as? String == "running")
            #expect(object?["port"] as? Int == port)
            #expect(json.stderr.isEmpty)

            guard case .success(let health) = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/health") else {
                Issue.record("/health does not answer"); return
            }
            #expect(health.status == 200)
            let body = try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any]
            #expect(body?["status"] as? String == "ok")
            #expect(body?["pid"] as? Int == Int(pid))
            #expect(body?["version"] as? String == CCOVersion.current)
            #expect(body?["uptime_s"] is Double || body?["uptime_s"] is Int)
            #expect(body?["started_at"] is String)
            guard case .success(let ready) = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/ready") else {
                Issue.record("/ready does not answer"); return
            }
            #expect(ready.status == 200)

            let record = try #require(try PIDFile(path: cco.paths.pidFile).read())
            #expect(record.pid == pid && record.port == port)
            #expect(fileMode(cco.paths.pidFile) == 0o600)
            #expect(fileMode(cco.stateDirectory) == 0o700)
            #expect(fileMode(cco.paths.logFile) == 0o600)

            let logs = try cco.run("daemon", "logs", "-n", "20")
            #expect(logs.status == 0)
            #expect(logs.stdout.contains("listening on http://127.0.0.1:\(port)"))

            let stop = try cco.run("daemon", "stop")
            #expect(stop.status == 0)
            #expect(stop.stdout.hasPrefix("stopped (pid \(pid)) in "))
            #expect(!FileManager.default.fileExists(atPath: cco.paths.pidFile))
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)
            #expect(ProcessIdentity.of(pid: pid)?.isAlive != true)

            let after = try cco.run("daemon", "status")
            #expect(after.status == 3)
            let stopAgain = try cco.run("daemon", "stop")
            #expect(stopAgain.status == 0)
            #expect(stopAgain.stdout.contains("not running"))
            let logsAfter = try cco.run("daemon", "logs")
            #expect(logsAfter.stdout.contains("stopped"))
            // start's readiness socket is gone after start returns; the daemon must not keep using it.
            #expect(!logsAfter.stdout.contains(" warning "), "\(logsAfter.stdout)")
            #expect(!logsAfter.stdout.contains(" error "), "\(logsAfter.stdout)")
        }
    }

    @Test func startWhenRunningSaysAlreadyRunningAndExitsZero() throws {
        try withStateDirectory { cco throws in
            let (pid, port) = try cco.startOnFreePort()
            let again = try cco.run("daemon", "start")
            #expect(again.status == 0)
            #expect(again.stdout == "already running (pid \(pid)) on http://127.0.0.1:\(port)\n")
            try cco.run("daemon", "stop")
        }
    }

    @Test func theDaemonRaisesItsOpenFilesLimitAndWarnsWhenTheHardLimitIsTooLow() throws {
        try withStateDirectory { cco throws in
            var ours = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &ours)
            // Started with the soft limit services often get; the daemon raises it to what the hard limit allows.
            let lowSoft = try CCOProcess.runToCompletion("/bin/sh", ["-c", #"ulimit -S -n 256 && exec "$0" daemon start --port 0"#, CCOProcess.executable], environment: cco.environment)
            #expect(lowSoft.status == 0, "\(lowSoft.stderr)")
            let pid = try #require(CCOProcess.parseStarted(lowSoft.stdout)?.pid)
            #expect(Self.openFilesLimit(of: pid) == [String(min(65536, ours.rlim_max)), String(ours.rlim_max)])
            #expect(try cco.run("daemon", "stop").status == 0)

            // A hard limit below two descriptors per upstream connection is worth a warning.
            let lowHard = try CCOProcess.runToCompletion("/bin/sh", ["-c", #"ulimit -n 512 && exec "$0" daemon start --port 0"#, CCOProcess.executable], environment: cco.environment)
            #expect(lowHard.status == 0, "\(lowHard.stderr)")
            let logs = try cco.run("daemon", "logs", "-n", "20").stdout
            #expect(logs.contains("open files are limited to 512 (hard 512); upstream_max_connections = 4096 needs about 8448"), "\(logs)")
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }

    /// The soft and hard `Max open files` of a process, from /proc.
    static func openFilesLimit(of pid: Int32) -> [String]? {
        guard let limits = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8) else { return nil }
        return limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }?
            .split(separator: " ").dropFirst(3).prefix(2).map(String.init)
    }

    @Test func startOnPortInUseFailsClearlyAndLeavesNoPIDFileOrLock() throws {
        try withStateDirectory { cco throws in
            // An earlier daemon's lines in the log are not this failure's story.
            _ = try cco.startOnFreePort()
            #expect(try cco.run("daemon", "stop").status == 0)
            let listener = try Listener()
            let result = try cco.run("daemon", "start", "--port", String(listener.port))
            #expect(result.status != 0)
            #expect(result.stderr.split(separator: "\n").count == 1, "one line, not the log repeating it: \(result.stderr)")
            let firstLine = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(firstLine.hasPrefix("error: cannot listen on 127.0.0.1:\(listener.port): address in use by pid \(getpid())"))
            #expect(firstLine.contains("choose another port with --port"))
            #expect(!FileManager.default.fileExists(atPath: cco.paths.pidFile))
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)
            #expect(try cco.run("daemon", "status").status == 3)
        }
    }

    @Test func daemonRunOnPortInUsePrintsOneLineAndExitsNonZero() throws {
        try withStateDirectory { cco throws in
            let listener = try Listener()
            let result = try cco.run("daemon", "run", "--port", String(listener.port))
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.hasPrefix("error: cannot listen on 127.0.0.1:\(listener.port): address in use"))
        }
    }

    @Test func startWithInvalidConfigNamesFileLineAndKeyAndSpawnsNothing() throws {
        try withStateDirectory { cco throws in
            try FileManager.default.createDirectory(atPath: cco.stateDirectory, withIntermediateDirectories: true)
            try "port = 3000\nlog_levl = \"debug\"\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let result = try cco.run("daemon", "start")
            #expect(result.status == 78)
            #expect(result.stderr == "error: \(cco.paths.configFile):2: `log_levl` is not a known key (did you mean `log_level`?)\n")
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)
            #expect(!FileManager.default.fileExists(atPath: cco.paths.logFile))
        }
    }

    @Test func hostAndPortFlagsReachTheDaemon() throws {
        try withStateDirectory { cco throws in
            var listener: Listener? = try Listener()
            let port = try #require(listener?.port)
            listener = nil  // frees the port for the daemon
            let result = try cco.run("daemon", "start", "--host", "::1", "--port", String(port))
            guard result.status == 0 else {
                // A machine without IPv6 loopback cannot run this; say so rather than pass silently.
                #expect(result.stderr.contains("not an address of this machine"), "\(result.stderr)")
                return
            }
            #expect(result.stdout.contains("on http://[::1]:\(port)"))
            let record = try #require(try PIDFile(path: cco.paths.pidFile).read())
            #expect(record.host == "::1" && record.port == port)
            guard case .success(let reply) = LoopbackHTTPClient.get(host: "::1", port: port, path: "/health") else {
                Issue.record("no answer on [::1]:\(port)"); return
            }
            #expect(reply.status == 200)
            try cco.run("daemon", "stop")
        }
    }

    @Test func restartHandsTheListenerToANewProcessOnTheSamePort() throws {
        try withStateDirectory { cco throws in
            let (first, port) = try cco.startOnFreePort()
            let restart = try cco.run("daemon", "restart", "--port", "0")
            #expect(restart.status == 0, "\(restart.stderr)")
            let line = restart.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.hasPrefix("restarted (pid \(first) → "), "\(line)")
            #expect(line.contains("on http://127.0.0.1:\(port) "), "port 0 keeps the socket it was handed: \(line)")
            let record = try #require(try PIDFile(path: cco.paths.pidFile).read())
            #expect(record.pid != first && record.port == port)
            #expect(ProcessIdentity.of(pid: first)?.isAlive != true, "the previous daemon exits")
            let status = try cco.run("daemon", "status")
            #expect(status.status == 0 && status.stdout.contains("pid: \(record.pid)"), "\(status.stdout)")
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }

    @Test func aPlainRestartKeepsThePortTheDaemonWasStartedWithAndAppliesAChangedConfigOtherwise() throws {
        try withStateDirectory { cco throws in
            let flagged = try freePort()
            let start = try cco.run("daemon", "start", "--port", String(flagged))
            #expect(start.status == 0, "\(start.stderr)")
            let restart = try cco.run("daemon", "restart")
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(restart.stdout.contains("on http://127.0.0.1:\(flagged) "), "\(restart.stdout)")
            #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
            #expect(try PIDFile(path: cco.paths.pidFile).read()?.port == flagged)
            #expect(try cco.run("daemon", "stop").status == 0)

            // Started from the config alone, a restart takes the config's (changed) port, and says it moved.
            let configured = try freePort(), changed = try freePort()
            try "port = \(configured)\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            #expect(try cco.run("daemon", "start").status == 0)
            try "port = \(changed)\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let moved = try cco.run("daemon", "restart")
            #expect(moved.status == 0, "\(moved.stderr)")
            #expect(moved.stdout.contains("on http://127.0.0.1:\(changed) "), "\(moved.stdout)")
            #expect(moved.stdout.contains("moved from http://127.0.0.1:\(configured)"), "\(moved.stdout)")
            #expect(!moved.stdout.contains("listener kept open"))
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }

    @Test func restartOnAnotherPortBindsItAndTheOldDaemonExits() throws {
        try withStateDirectory { cco throws in
            let (first, port) = try cco.startOnFreePort()
            let other = try freePort()
            let restart = try cco.run("daemon", "restart", "--port", String(other))
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(restart.stdout.contains("restarted (pid \(first) → "))
            let record = try #require(try PIDFile(path: cco.paths.pidFile).read())
            #expect(record.port == other)
            guard case .success(let reply) = LoopbackHTTPClient.get(host: "127.0.0.1", port: other, path: "/health") else {
                Issue.record("no answer on \(other)"); return
            }
            #expect(reply.status == 200)
            // The old port is closed once the previous daemon has gone.
            if case .success = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/health", timeout: .milliseconds(500)) {
                Issue.record("port \(port) still answers")
            }
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }
}
