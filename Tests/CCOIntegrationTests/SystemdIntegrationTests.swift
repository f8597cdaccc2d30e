import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOCore
import NIOHTTP1

/// The built `cco` against a real `systemd --user`, journald and user bus (scripts/systemd-sandbox).
/// Serialized: the sandboxes share one test user and its cgroup path.
@Suite(.serialized, .enabled(if: SystemdSandbox.isAvailable, "needs root and systemd to start a sandboxed systemd --user"))
struct SystemdIntegrationTests {
    /// A sandbox whose daemon listens on a port the kernel picks, with the given extra config.
    func sandbox(port: Int = 0, config: String = "") throws -> SystemdSandbox {
        let sandbox = try SystemdSandbox()
        try sandbox.sh("mkdir -p ~/.cco && chmod 700 ~/.cco && printf 'port = \(port)\\n\(config)' > ~/.cco/config.toml")
        return sandbox
    }

    @Test func installStartsAReadyUnitWhoseStatusAndJournalEntriesAreOurs() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        let install = try sandbox.cco("daemon", "install")
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("wrote \(sandbox.home)/.config/systemd/user/cco-daemon.service, reloaded systemd"))
        #expect(install.stdout.contains("enabled: starts at login"))
        #expect(try sandbox.unitProperty("ActiveState") == "active")

        // systemctl start returns only after READY=1, so /health answers at once.
        #expect(try sandbox.sh("systemctl --user stop cco-daemon").status == 0)
        let start = try sandbox.sh("systemctl --user start cco-daemon && cat ~/.cco/daemon.pid")
        #expect(start.status == 0)
        let record = try #require(PIDRecord.decode(Array(start.stdout.utf8)))
        guard case .success(let health) = LoopbackHTTPClient.get(host: "127.0.0.1", port: record.port, path: "/health") else {
            Issue.record("/health does not answer right after systemctl start"); return
        }
        #expect(health.status == 200)
        // LimitNOFILE=65536 reached the daemon (room for two descriptors per upstream call), as far
        // as the user manager's own hard limit allows: systemd lowers it to that (setrlimit_closest).
        var ours = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &ours)
        let expected = String(min(65536, ours.rlim_max))
        let limits = try String(contentsOfFile: "/proc/\(record.pid)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }?.split(separator: " ")
        #expect(openFiles.map { $0.suffix(3).map(String.init) } == [expected, expected, "files"], "\(limits)")

        let systemctlStatus = try sandbox.sh("systemctl --user status cco-daemon --no-pager")
        #expect(systemctlStatus.stdout.contains("Status: \"listening on http://127.0.0.1:\(record.port)\""), "\(systemctlStatus.stdout)")
        let journal = try sandbox.sh("journalctl --user -u cco-daemon -o verbose --no-pager")
        #expect(journal.stdout.contains("MESSAGE=listening on http://127.0.0.1:\(record.port)"))
        #expect(journal.stdout.contains("CCO_LOGGER=cco"))
        #expect(journal.stdout.contains("CODE_FILE=CCODaemon/DaemonRunner+Ready.swift"))
        #expect(journal.stdout.contains("SYSLOG_IDENTIFIER=cco"))

        let status = try sandbox.cco("daemon", "status")
        #expect(status.status == 0)
        #expect(status.stdout.contains("cco-daemon.service (systemd user unit, enabled)"))
        #expect(status.stdout.contains("status: \"listening on http://127.0.0.1:\(record.port)\""))
        #expect(status.stdout.contains("health: ok"))
        #expect(status.stdout.contains("watchdog: 30 s"))  // the manager's WatchdogUSec
        let logs = try sandbox.cco("daemon", "logs", "-n", "50")
        #expect(logs.stdout.contains("listening on http://127.0.0.1:\(record.port)"))

        // The dashboard's daemon view: the mode, the unit over the bus, and the journal's lines, as the daemon itself reads them.
        guard case .success(let info) = LoopbackHTTPClient.get(host: "127.0.0.1", port: record.port, path: "/api/daemon"),
              let daemon = try JSONSerialization.jsonObject(with: Data(info.body.utf8)) as? [String: Any] else {
            Issue.record("/api/daemon does not answer"); return
        }
        #expect(daemon["mode"] as? String == "systemd")
        #expect(daemon["pid"] as? Int == Int(record.pid))
        let unitInfo = daemon["unit"] as? [String: Any]
        #expect(unitInfo?["name"] as? String == "cco-daemon.service", "\(daemon)")
        #expect(unitInfo?["active_state"] as? String == "active" && unitInfo?["unit_file_state"] as? String == "enabled", "\(daemon)")
        #expect(unitInfo?["restarts"] as? Int == 0)
        #expect(daemon["log_source"] as? String == "journal (cco-daemon.service)")
        #expect((daemon["log"] as? [String])?.contains { $0.contains("listening on http://127.0.0.1:\(record.port)") } == true, "\(daemon["log"] ?? "")")

        let again = try sandbox.cco("daemon", "install")
        #expect(again.stdout.hasPrefix("unchanged: "))
        // The installed unit is the shipped template, rendered.
        let unit = try String(contentsOfFile: sandbox.home + "/.config/systemd/user/cco-daemon.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=\(sandbox.cco) daemon run"))
        #expect(unit.contains("WatchdogSec=30"))
    }

    /// An unprivileged user's `cco` writes nothing to syslog (and so nothing to the journal): a
    /// libdispatch worker thread of an async main would try to renice itself, fail with EACCES and
    /// log "Failed to set thread priority for worker thread" on every call.
    @Test func commandsRunAsTheUserWriteNothingToSyslog() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        for command in ["daemon status", "stats", "config show", "daemon logs -n 5", "daemon reload"] {
            let run = try sandbox.sh("strace -f -qq -e trace=connect -o ~/connect.trace \(sandbox.cco) \(command) >/dev/null; echo rc=$?")
            #expect(run.stdout.contains("rc=0"), "\(command): \(run.stdout) \(run.stderr)")
            let trace = try String(contentsOfFile: sandbox.home + "/connect.trace", encoding: .utf8)
            #expect(!trace.contains("/dev/log"), "cco \(command) connected to syslog:\n\(trace)")
        }
    }

    @Test func enableAndDisableGoThroughDBusWithoutSpawningSystemctl() throws {
        let sandbox = try sandbox(config: "auto_start = false\n")
        defer { sandbox.stop() }
        let install = try sandbox.cco("daemon", "install")
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("auto_start = false"))
        #expect(try sandbox.unitProperty("UnitFileState") == "disabled")
        #expect(try sandbox.unitProperty("ActiveState") == "inactive")

        let link = sandbox.home + "/.config/systemd/user/default.target.wants/cco-daemon.service"
        let enable = try sandbox.sh("strace -f -qq -e trace=execve -o ~/enable.trace \(sandbox.cco) daemon enable --now; echo rc=$?")
        #expect(enable.stdout.contains("rc=0"), "\(enable.stdout) \(enable.stderr)")
        #expect(FileManager.default.fileExists(atPath: link))
        #expect(try sandbox.unitProperty("ActiveState") == "active")
        let disable = try sandbox.sh("strace -f -qq -e trace=execve -o ~/disable.trace \(sandbox.cco) daemon disable --now; echo rc=$?")
        #expect(disable.stdout.contains("rc=0"))
        #expect(!FileManager.default.fileExists(atPath: link))
        #expect(try sandbox.unitProperty("ActiveState") == "inactive")

        for trace in ["enable.trace", "disable.trace"] {
            let text = try String(contentsOfFile: sandbox.home + "/" + trace, encoding: .utf8)
            let execs = text.split(separator: "\n").filter { $0.contains("execve(") }
            #expect(execs.count == 1, "\(trace): \(execs)")  // cco itself, nothing else
            #expect(!text.contains("systemctl"))
        }
    }

    @Test func reloadAppliesTheLogLevelAndABrokenConfigIsRefusedWhileServing() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let pid = try sandbox.unitProperty("MainPID")
        #expect(try sandbox.cco("config", "set", "log_level", "debug").status == 0)
        let reload = try sandbox.cco("daemon", "reload")
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.stdout.contains("reloaded cco-daemon.service"))
        let port = try #require(try PIDFile(path: sandbox.home + "/.cco/daemon.pid").read()).port
        _ = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/health?after-reload")
        #expect(eventually { (try? sandbox.sh("journalctl --user -u cco-daemon --no-pager -o verbose").stdout.contains("CCO_HB_REQUEST_PATH=/health?after-reload")) == true })
        #expect(try sandbox.sh("journalctl --user -u cco-daemon --no-pager").stdout.contains("reloaded: log_level = debug"))

        try sandbox.sh("printf 'port = 0\\nlog_level = \"loud\"\\n' > ~/.cco/config.toml")
        let refused = try sandbox.cco("daemon", "reload")
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("config.toml:2: `log_level` must be one of"))
        // Past the CLI's own check, the daemon refuses it too and keeps serving.
        #expect(try sandbox.sh("systemctl --user reload cco-daemon").status == 0)
        #expect(eventually { (try? sandbox.sh("journalctl --user -u cco-daemon --no-pager").stdout.contains("reload refused")) == true })
        #expect(try sandbox.unitProperty("ActiveState") == "active")
        #expect(try sandbox.unitProperty("MainPID") == pid)
        #expect(try sandbox.unitProperty("StatusText").contains("reload refused"))
    }

    @Test func aStoppedDaemonIsRestartedByTheWatchdogAndAKilledOneByRestartOnFailure() throws {
        let sandbox = try sandbox(config: "health_check_interval = 2\n")
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let hangs = FaultTrials.count(full: 2), kills = FaultTrials.count(full: 8)
        var hung = FaultLine("hangs", "SIGSTOP under systemd × \(hangs) → the watchdog restarts it")
        var killed = FaultLine("crashes", "SIGKILL under systemd × \(kills) → restarted every time")
        func restarts() -> Int { Int((try? sandbox.unitProperty("NRestarts")) ?? "") ?? -1 }
        for _ in 0 ..< hangs {
            try sandbox.sh("systemctl --user reset-failed cco-daemon")  // StartLimitBurst=5 stops a burst of restarts, by design
            let before = restarts(), first = try sandbox.unitProperty("MainPID")
            try #require(first != "0", "the unit did not start")  // kill 0 would stop the sandbox itself
            #expect(try sandbox.sh("kill -STOP \(first)").status == 0)
            // WatchdogSec (2) + TimeoutAbortSec (5) + RestartSec (1), with room for a slow machine.
            let restarted = eventually(timeout: .seconds(20)) {
                restarts() == before + 1 && (try? sandbox.unitProperty("ActiveState")) == "active" && (try? sandbox.unitProperty("MainPID")) != "0"
            }
            #expect(restarted)
            #expect(try sandbox.unitProperty("MainPID") != first)
            hung.trial(restarted, "NRestarts \(restarts()), \((try? sandbox.unitProperty("ActiveState")) ?? "?")")
        }
        #expect(try sandbox.sh("journalctl --user -u cco-daemon --no-pager").stdout.contains("Watchdog timeout"))

        for _ in 0 ..< kills {
            try sandbox.sh("systemctl --user reset-failed cco-daemon")
            let before = restarts(), pid = try sandbox.unitProperty("MainPID")
            try #require(pid != "0", "the unit was not restarted")
            #expect(try sandbox.sh("kill -KILL \(pid)").status == 0)
            let restarted = eventually(timeout: .seconds(10)) {
                restarts() == before + 1 && (try? sandbox.unitProperty("ActiveState")) == "active" && (try? sandbox.unitProperty("MainPID")) != "0"
            }
            #expect(restarted)
            killed.trial(restarted, "NRestarts \(restarts()), \((try? sandbox.unitProperty("ActiveState")) ?? "?")")
        }
        #expect(try sandbox.cco("daemon", "status").status == 0)
        hung.finish()
        killed.finish()
    }

    @Test func aConfigErrorExitIsNotRestartedAndStatusSaysWhy() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        try sandbox.sh("printf 'port = \"abc\"\\n' > ~/.cco/config.toml")
        #expect(try sandbox.sh("systemctl --user restart cco-daemon").status != 0)
        usleep(2_500_000)  // longer than RestartSec: a restart would have happened by now
        #expect(try sandbox.unitProperty("NRestarts") == "0")
        #expect(try sandbox.unitProperty("ActiveState") == "failed")
        #expect(try sandbox.unitProperty("ExecMainStatus") == "78")
        let status = try sandbox.cco("daemon", "status")
        #expect(status.status == 1)
        #expect(status.stdout.contains("exited with status 78 (configuration error)"), "\(status.stdout)")
        #expect(status.stdout.contains("`port` must be an integer from 0 to 65535, found \"abc\""))
        #expect(status.stdout.contains("hint: fix the config"))
    }

    @Test func lifecycleVerbsActOnTheUnitAndUninstallLeavesNothing() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let clock = ContinuousClock()
        let began = clock.now
        let stop = try sandbox.cco("daemon", "stop")
        // Far below the 8 s drain bound: no service (the watchdog's sleep) may hold a graceful stop.
        #expect(clock.now - began < .seconds(5))
        #expect(stop.status == 0)
        #expect(stop.stdout.hasPrefix("stopped cco-daemon.service"))
        #expect(try sandbox.unitProperty("ActiveState") == "inactive")  // not undone by Restart=
        #expect(try sandbox.cco("daemon", "status").status == 3)
        let start = try sandbox.cco("daemon", "start")
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout.hasPrefix("started cco-daemon.service (pid "))
        #expect(try sandbox.cco("daemon", "start").stdout.hasPrefix("already running: cco-daemon.service"))
        let before = try sandbox.unitProperty("MainPID")
        let restart = try sandbox.cco("daemon", "restart")
        #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
        #expect(try sandbox.unitProperty("MainPID") != before)
        // Only the unit's daemon runs: start went through systemd, not beside it.
        #expect(try sandbox.sh("pgrep -c -f '[b]in/cco-daemon'").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(try sandbox.cco("daemon", "start", "--port", "9").stderr.contains("--port and --host apply to a standalone daemon"))

        let uninstall = try sandbox.cco("daemon", "uninstall")
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/.config/systemd/user/cco-daemon.service"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/.config/systemd/user/default.target.wants/cco-daemon.service"))
        #expect(try sandbox.unitProperty("LoadState") == "not-found")
        #expect(try sandbox.sh("pgrep -c -f '[b]in/cco-daemon'").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        // Back to standalone.
        let status = try sandbox.cco("daemon", "status")
        #expect(status.status == 3)
        #expect(status.stdout.contains("cco daemon: not running"))
    }

    @Test func twentyRestartsUnderLoadKeepTheListenerInTheFdStoreAndFailNoRequest() async throws {
        let fake = try FakeUpstream()
        let sandbox = try self.sandbox(config: "upstream_url = \"\(fake.url)\"\\ncache_persist = true\\n")
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let record = try #require(PIDRecord.decode(Array(try sandbox.sh("cat ~/.cco/daemon.pid").stdout.utf8)))
        let body = #"{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"systemd restart"}]}"#
        let warm = try await HTTP.send(.POST, port: record.port, path: "/v1/messages", body: body,
                                       headers: [("x-api-key", "sk-restart"), ("anthropic-version", "2023-06-01")])
        #expect(warm.status == 200 && warm.cache == "miss")
        let health = try LoadRun(port: record.port, rate: 200, connections: 4)
        let cached = try LoadRun(port: record.port, rate: 100, connections: 2, arguments: [
            "--method", "POST", "--path", "/v1/messages", "--body", body,
            "--header", "x-api-key: sk-restart", "--header", "anthropic-version: 2023-06-01"])
        let oneShot = try LoadRun(port: record.port, rate: 200, connections: 4, arguments: ["--new-connection-per-request"])
        // `cco daemon restart` overlaps old and new inside the unit.
        var pids: Set<String> = []
        for _ in 0 ..< 20 {
            let restart = try sandbox.cco("daemon", "restart")
            #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
            #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
            pids.insert(try sandbox.unitProperty("MainPID"))
        }
        #expect(pids.count == 20, "the main pid moved at each restart")
        let healthReport = try health.finish()
        let cachedReport = try cached.finish()
        let oneShotReport = try oneShot.finish()
        print("systemd, 20 restarts: /health \(healthReport.summary); cached gateway call \(cachedReport.summary); a connection per request \(oneShotReport.summary)")
        #expect(healthReport.failed == 0, "\(healthReport.summary)")
        #expect(cachedReport.failed == 0, "\(cachedReport.summary)")
        #expect(oneShotReport.failed == 0, "\(oneShotReport.summary)")
        // `systemctl --user restart` stops, then starts, as systemd defines it; the listener waits
        // in the fd store meanwhile.
        // A connection accepted as SIGTERM arrives is served before the old daemon lets the socket go.
        let stopStart = try LoadRun(port: record.port, rate: 200, connections: 4)
        let stopStartOneShot = try LoadRun(port: record.port, rate: 200, connections: 4, arguments: ["--new-connection-per-request"])
        for _ in 0 ..< 3 {
            #expect(try sandbox.sh("systemctl --user restart cco-daemon").status == 0)
        }
        let stopStartReport = try stopStart.finish()
        let stopStartOneShotReport = try stopStartOneShot.finish()
        print("systemd, 3 systemctl restarts: /health \(stopStartReport.summary); a connection per request \(stopStartOneShotReport.summary)")
        #expect(stopStartReport.failed == 0, "\(stopStartReport.summary)")
        #expect(stopStartOneShotReport.failed == 0, "\(stopStartOneShotReport.summary)")
        #expect(healthReport.ok > 100 && cachedReport.ok > 50)
        #expect(try fake.counts().messages == 1, "the cache survives each restart (cache_persist)")
        // The listener kept in the fd store serves the peer check too.
        #expect(try asNobody("127.0.0.1", record.port).hasPrefix("HTTP/1.1 403 Forbidden"))
        #expect(try sandbox.unitProperty("NRestarts") == "0", "restarts asked for are not failures")
        let journal = try sandbox.sh("journalctl --user -u cco-daemon -o cat --no-pager").stdout
        // Port 0: the stored socket keeps the port the kernel picked first.
        #expect(journal.components(separatedBy: "listening on http://127.0.0.1:\(record.port), handed over by pid").count - 1 == 20, "\(journal.suffix(2000))")
        #expect(journal.components(separatedBy: "listening on http://127.0.0.1:\(record.port), kept in systemd's fd store across the restart").count - 1 == 3, "\(journal.suffix(2000))")
    }

    /// Under systemd too, a stream of 15 s outlives `cco daemon restart`: the daemon starts its
    /// successor inside the unit and finishes the stream while the successor serves.
    @Test func aFifteenSecondStreamOutlivesARestartOfTheUnit() async throws {
        let fake = try FakeUpstream()
        let sandbox = try self.sandbox(config: "upstream_url = \"\(fake.url)\"\\n")
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let record = try #require(PIDRecord.decode(Array(try sandbox.sh("cat ~/.cco/daemon.pid").stdout.utf8)))
        let whole = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: HTTP.streamBody).text
        try await withHTTPClient(connections: 4) { client in
            let clock = ContinuousClock()
            let began = clock.now
            let long = try HTTP.startHeldStream(client, port: record.port, id: "unit")
            #expect(await waitUntil(timeout: .seconds(10)) { (try? fake.holds()["unit"]) == "holding" })
            let restart = try sandbox.cco("daemon", "restart")
            #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
            #expect(restart.stdout.contains("pid \(record.pid) is finishing 1 request (1 stream) in progress"), "\(restart.stdout)")
            #expect(try sandbox.unitProperty("MainPID") != String(record.pid))
            #expect(try sandbox.unitProperty("ActiveState") == "active")
            let status = try sandbox.cco("daemon", "status").stdout
            #expect(status.contains("finishing: pid \(record.pid) (replaced by a restart"), "\(status)")
            #expect(try await HTTP.message(port: record.port, text: "during the drain").status == 200)
            try await Task.sleep(until: began + .seconds(15))
            try await fake.release("unit")
            let reply = try await long.reply()
            #expect(reply.status == 200)
            #expect(reply.text == whole, "the stream arrived whole across the restart")
        }
        #expect(await waitUntil(timeout: .seconds(5)) { (try? sandbox.sh("kill -0 \(record.pid)").status) != 0 }, "the replaced daemon exits once its stream is done")
        #expect(try sandbox.unitProperty("ActiveState") == "active")
        #expect(try sandbox.unitProperty("NRestarts") == "0")
    }

    @Test func aCrashRestartKeepsTheSocketSoNoConnectionIsRefused() throws {
        let sandbox = try self.sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let record = try #require(PIDRecord.decode(Array(try sandbox.sh("cat ~/.cco/daemon.pid").stdout.utf8)))
        let load = try LoadRun(port: record.port, rate: 100, connections: 2)
        for kill in 1 ... 3 {
            let before = try sandbox.unitProperty("MainPID")
            #expect(try sandbox.sh("systemctl --user kill -s KILL cco-daemon").status == 0)
            // Restart=on-failure after RestartSec=1; the fd store holds the socket meanwhile.
            #expect(eventually(timeout: .seconds(10)) {
                (try? sandbox.unitProperty("NRestarts")) == String(kill) && (try? sandbox.unitProperty("ActiveState")) == "active"
                    && (try? sandbox.unitProperty("MainPID")) != before
            })
        }
        let report = try load.finish()
        print("systemd, 3 crashes: /health \(report.summary)")
        // Requests in progress at a kill die with the process; no connection is ever refused.
        #expect(report.errors.keys.allSatisfy { !$0.contains("refused") }, "\(report.summary)")
        #expect(report.failed <= 3 * 2, "at most the requests in flight at each kill: \(report.summary)")
        #expect(report.ok > 200)
    }

    @Test func socketActivationStartsTheDaemonOnTheFirstConnectionAndRestartsFailNoRequest() throws {
        let port = try freePort()
        let sandbox = try self.sandbox(port: port, config: "socket_activation = true\\n")
        defer { sandbox.stop() }
        let install = try sandbox.cco("daemon", "install")
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        #expect(install.stdout.contains("wrote \(sandbox.home)/.config/systemd/user/cco-daemon.socket, listening on 127.0.0.1:\(port)"), "\(install.stdout)")
        #expect(install.stdout.contains("the first connection starts the daemon"))
        #expect(try sandbox.sh("systemctl --user is-active cco-daemon.socket").stdout == "active\n")
        #expect(try sandbox.unitProperty("ActiveState") == "inactive", "nothing runs before the first connection")
        let status = try sandbox.cco("daemon", "status")
        #expect(status.stdout.contains("socket: cco-daemon.socket active (listening), enabled: the first connection starts the daemon"), "\(status.stdout)")

        let clock = ContinuousClock()
        let began = clock.now
        guard case .success(let first) = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/health", timeout: .seconds(10)) else {
            Issue.record("the first connection was not answered"); return
        }
        print("socket activation: first connection answered after \(clock.now - began)")
        #expect(first.status == 200)
        #expect(try sandbox.unitProperty("ActiveState") == "active")

        let load = try LoadRun(port: port, rate: 200, connections: 4)
        let oneShot = try LoadRun(port: port, rate: 200, connections: 4, arguments: ["--new-connection-per-request"])
        for _ in 0 ..< 20 {
            #expect(try sandbox.cco("daemon", "restart").status == 0)
        }
        let report = try load.finish()
        let oneShotReport = try oneShot.finish()
        print("socket activation, 20 restarts: /health \(report.summary); a connection per request \(oneShotReport.summary)")
        #expect(report.failed == 0, "\(report.summary)")
        #expect(oneShotReport.failed == 0, "\(oneShotReport.summary)")
        // The socket unit's connections pass the peer check too: another user is turned away.
        #expect(try asNobody("127.0.0.1", port).hasPrefix("HTTP/1.1 403 Forbidden"))
        let journal = try sandbox.sh("journalctl --user -u cco-daemon -o cat --no-pager").stdout
        #expect(journal.contains("it belongs to uid 65534 (nobody), not to this daemon's user"), "\(journal.suffix(1000))")
        #expect(!journal.contains("peer check:"), "the unit lets the daemon use sock_diag: \(journal.suffix(1000))")
        #expect(journal.contains("listening on http://127.0.0.1:\(port), from cco-daemon.socket (socket activation)"))
        #expect(!journal.contains("fd store"), "a socket unit's listener is not stored again")

        // Stop stops the socket too: nothing listens, so nothing starts the daemon again.
        #expect(try sandbox.cco("daemon", "stop").status == 0)
        #expect(try sandbox.sh("systemctl --user is-active cco-daemon.socket cco-daemon.service").stdout == "inactive\ninactive\n")
        if case .success = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/health", timeout: .milliseconds(500)) {
            Issue.record("port \(port) answers after stop")
        }
        // Turning socket activation off removes the socket unit.
        try sandbox.sh("printf 'port = \(port)\\n' > ~/.cco/config.toml")
        #expect(try sandbox.cco("daemon", "install").status == 0)
        #expect(try sandbox.sh("test -e ~/.config/systemd/user/cco-daemon.socket").status != 0)
        #expect(try sandbox.unitProperty("ActiveState") == "active")
        #expect(try sandbox.cco("daemon", "uninstall").status == 0)
    }

    @Test func doctorChecksTheUnitAndFixRerendersADriftedOne() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        try sandbox.sh("chmod 600 ~/.cco/config.toml")
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let healthy = try sandbox.cco("doctor")
        #expect(healthy.status == 0, "\(healthy.stdout)")
        for line in ["ok    unit file    \(sandbox.home)/.config/systemd/user/cco-daemon.service is what `cco daemon install` writes",
                     "ok    user bus     the systemd user manager answers", "ok    unit         cco-daemon.service is enabled, active (running), pid ",
                     "ok    journal      the unit's entries are readable", "ok    security     systemd-analyze security --user rates the unit 5.0 MEDIUM"] {
            #expect(healthy.stdout.contains(line), "\(line)\n\(healthy.stdout)")
        }

        // A unit file edited by hand (or left by an older cco) differs from what install writes.
        try sandbox.sh("sed -i 's/^Restart=on-failure$/Restart=no/' ~/.config/systemd/user/cco-daemon.service")
        let drifted = try sandbox.cco("doctor")
        #expect(drifted.status == 1)
        #expect(drifted.stdout.contains("fail  unit file") && drifted.stdout.contains("Restart=no, expected Restart=on-failure"), "\(drifted.stdout)")
        #expect(drifted.stdout.contains("fix: cco daemon install (cco doctor --fix does it)"))
        let fixed = try sandbox.cco("doctor", "--fix")
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(fixed.stdout.contains("fixed unit file") && fixed.stdout.contains("re-rendered \(sandbox.home)/.config/systemd/user/cco-daemon.service"))
        #expect(try sandbox.sh("grep -c '^Restart=on-failure$' ~/.config/systemd/user/cco-daemon.service").stdout == "1\n")

        // A unit that failed on its config: the config's line, and the unit's reason.
        try sandbox.sh("printf 'port = \"abc\"\\n' > ~/.cco/config.toml")
        _ = try sandbox.sh("systemctl --user restart cco-daemon")
        #expect(eventually(timeout: .seconds(10)) { (try? sandbox.unitProperty("ActiveState")) == "failed" })
        let failed = try sandbox.cco("doctor")
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("fail  config       \(sandbox.home)/.cco/config.toml:1: `port` must be"), "\(failed.stdout)")
        #expect(failed.stdout.contains("fail  unit         cco-daemon.service is enabled, failed"), "\(failed.stdout)")
        #expect(failed.stdout.contains("fix: fix the config (cco config validate), then cco daemon restart"))
    }

    /// Crossing warn_at and then spending the budget: one journal entry at priority warning each,
    /// and one desktop notification each through the user bus's org.freedesktop.Notifications.
    @Test func budgetWarningsGoToTheJournalAndTheDesktop() async throws {
        let fake = try FakeUpstream()
        // One call costs $0.0153 (FakeUpstream's usage at claude-sonnet-4-5's prices): 85% of $0.018.
        let sandbox = try self.sandbox(config: "upstream_url = \"\(fake.url)\"\\n[budget]\\ndaily_usd = 0.018\\n")
        defer { sandbox.stop() }
        var fixture = URL(fileURLWithPath: #filePath)
        fixture.deleteLastPathComponent()
        let service = sandbox.directory + "/bin/fake-notifications"
        try copyExecutable(fixture.appendingPathComponent("Fixtures/fake-notifications").path, to: service)
        chmod(service, 0o755)
        let started = try sandbox.sh("systemd-run --user --unit fake-notifications --setenv=DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS \(service) $HOME/notified.jsonl")
        #expect(started.status == 0, "\(started.stderr)")
        #expect(eventually(timeout: .seconds(10)) { (try? sandbox.sh("busctl --user status org.freedesktop.Notifications").status) == 0 })
        #expect(try sandbox.cco("daemon", "install").status == 0)
        let port = try #require(try PIDFile(path: sandbox.home + "/.cco/daemon.pid").read()).port

        #expect(try await BudgetTests.call(port: port, session: "desk-1").status == 200)
        #expect(try await BudgetTests.call(port: port, session: "desk-1").status == 200)
        #expect(try await BudgetTests.call(port: port, session: "desk-1").status == 400)
        #expect(eventually(timeout: .seconds(10)) { (try? sandbox.sh("wc -l < $HOME/notified.jsonl").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == "2" })
        let notified = try sandbox.sh("cat $HOME/notified.jsonl").stdout.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] ?? [:]
        }
        #expect(notified.map { $0["summary"] } == ["cco: budget warning", "cco: budget spent"])
        #expect(notified.first?["app"] == "cco")
        #expect(notified.first?["body"]?.hasPrefix("budget: 85% of the daily budget of $0.02 is spent") == true, "\(notified)")
        let warnings = try sandbox.sh("journalctl --user -u cco-daemon --no-pager -p warning..warning -o cat").stdout
        #expect(warnings.contains("budget: 85% of the daily budget"), "\(warnings)")
        #expect(warnings.contains("budget: the daily budget of $0.02 is spent"))
        #expect(warnings.contains("call refused: the daily budget of $0.02 is spent"))
    }
}

/// Needs no sandbox: a user bus that cannot be reached.
@Suite struct NoUserBusTests {
    @Test func installWithoutAUserBusSaysWhyAndWhatToDo() throws {
        try withStateDirectory { cco throws in
            let result = try cco.run(["daemon", "install"], extraEnvironment: [
                "XDG_RUNTIME_DIR": cco.stateDirectory + "/no-runtime",
                "DBUS_SESSION_BUS_ADDRESS": "unix:path=\(cco.stateDirectory)/no-runtime/bus",
            ])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: cannot reach your systemd user manager"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            // Standalone mode still works.
            #expect(try cco.run("daemon", "status").status == 3)
        }
    }
}
