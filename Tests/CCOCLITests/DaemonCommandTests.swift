import ArgumentParser
import Foundation
import Testing
@testable import CCOCLI
import CCOCore
import CCOSupervisor

/// Each `cco daemon` verb against a ``FakeSupervisor``: what it asks the supervisor for, what it
/// prints on which stream, and its exit code.
@Suite struct DaemonCommandTests {
    struct Run {
        let out: [String]
        let err: [String]
        let exit: ExitCode
    }

    /// Parses `arguments` as `cco` would and runs the verb on `fake`.
    func run(_ arguments: [String], on fake: FakeSupervisor) throws -> Run {
        let command = try #require(try CCO.parseAsRoot(arguments) as? any SupervisorCommand)
        let recorded = RecordedConsole()
        var exit = ExitCode.success
        do {
            try command.run(on: fake, console: recorded.console)
        } catch let code as ExitCode {
            exit = code
        }
        return Run(out: recorded.out, err: recorded.err, exit: exit)
    }

    static let paths = CCOPaths(stateDirectory: "/home/ana/.cco")
    static let record = PIDRecord(pid: 48211, host: "127.0.0.1", port: 3000, version: "1.0.0",
                                  startedAt: Date(timeIntervalSince1970: 1_700_000_000), processStartTime: 1)

    // MARK: start

    @Test func startPassesFlagsAndPrintsPidAddressAndTimeAfterItsNotes() throws {
        let fake = FakeSupervisor()
        fake.started = .success(.started(service: nil, pid: 48211, address: "http://127.0.0.1:8080", elapsed: .milliseconds(21),
                                         notes: ["removed a stale PID file"]))
        let run = try run(["daemon", "start", "--port", "8080", "--timeout", "5"], on: fake)
        #expect(fake.calls == [.start(StartRequest(overrides: .init(port: 8080), timeout: .seconds(5)))])
        #expect(run.out == ["note: removed a stale PID file", "started (pid 48211) on http://127.0.0.1:8080 in 21 ms"])
        #expect(run.err.isEmpty && run.exit == .success)
    }

    @Test func startUnderAServiceManagerNamesTheUnitAndAlreadyRunningExitsZero() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.started = .success(.started(service: "cco-daemon.service", pid: 51002, address: nil, elapsed: .milliseconds(1234), notes: []))
        #expect(try run(["daemon", "start"], on: fake).out == ["started cco-daemon.service (pid 51002) in 1.2 s"])
        fake.started = .success(.alreadyRunning(service: "cco-daemon.service", pid: 51002, address: "http://127.0.0.1:3000"))
        let again = try run(["daemon", "start"], on: fake)
        #expect(again.out == ["already running: cco-daemon.service (pid 51002) on http://127.0.0.1:3000"])
        #expect(again.exit == .success)
        fake.started = .success(.alreadyRunning(service: nil, pid: 48211, address: "http://127.0.0.1:3000"))
        #expect(try run(["daemon", "start"], on: fake).out == ["already running (pid 48211) on http://127.0.0.1:3000"])
    }

    @Test(arguments: [
        (DaemonError(.config, "/c.toml:2: `port` must be an integer"), Int32(78)),
        (DaemonError(.alreadyRunning, "another cco daemon runs"), 75),
        (DaemonError(.addressInUse, "cannot listen on 127.0.0.1:3000: address in use"), 1),
        (DaemonError(.usage, "--port and --host apply to a standalone daemon"), 1),
    ] as [(DaemonError, Int32)])
    func aFailedStartIsOneErrorLineOnStderrWithTheCodesExitStatus(error: DaemonError, status: Int32) throws {
        let fake = FakeSupervisor()
        fake.started = .failure(error)
        let run = try run(["daemon", "start"], on: fake)
        #expect(run.out.isEmpty)
        #expect(run.err == ["error: " + error.detail])
        #expect(run.exit.rawValue == status)
    }

    // MARK: stop

    @Test func stopSaysWhatItStoppedAndHow() throws {
        let fake = FakeSupervisor()
        fake.stopped = .success(.stopped(service: nil, pid: 48211, elapsed: .milliseconds(12), killedAfter: nil))
        let run = try run(["daemon", "stop", "--timeout", "2.5"], on: fake)
        #expect(fake.calls == [.stop(.milliseconds(2500))])
        #expect(run.out == ["stopped (pid 48211) in 12 ms"])
        fake.stopped = .success(.stopped(service: nil, pid: 48211, elapsed: .seconds(10), killedAfter: .seconds(10)))
        #expect(try self.run(["daemon", "stop"], on: fake).out == ["stopped (pid 48211) with SIGKILL after it ignored SIGTERM for 10 s"])
        fake.stopped = .success(.stopped(service: "cco-daemon.service", pid: 51002, elapsed: .milliseconds(30), killedAfter: nil))
        #expect(try self.run(["daemon", "stop"], on: fake).out == ["stopped cco-daemon.service (pid 51002) in 30 ms"])
        fake.stopped = .success(.stopped(service: nil, pid: 48211, elapsed: .seconds(10), killedAfter: .seconds(10),
                                         cut: RequestsInProgress(requests: 2, streams: 1)))
        #expect(try self.run(["daemon", "stop"], on: fake).out == ["stopped (pid 48211) with SIGKILL after 10 s (--timeout), cutting 2 requests (1 stream) still in progress"])
    }

    @Test func stopWhenNothingRunsExitsZeroAndSaysSo() throws {
        let fake = FakeSupervisor()
        for (outcome, line) in [
            (StopOutcome.notRunning(service: nil, state: nil), "not running"),
            (.notRunning(service: "cco-daemon.service", state: "failed"), "not running: cco-daemon.service is failed"),
            (.notRunning(service: "com.anthropic.cco.daemon", state: nil), "not running: com.anthropic.cco.daemon"),
            (.removedStalePIDFile(Self.record), "not running; removed a stale PID file naming pid 48211, which is not a cco daemon any more"),
        ] {
            fake.stopped = .success(outcome)
            let run = try run(["daemon", "stop"], on: fake)
            #expect(run.out == [line])
            #expect(run.exit == .success)
        }
    }

    // MARK: restart

    @Test func restartReportsTheHandoverOrTheStopAndTheStart() throws {
        let fake = FakeSupervisor()
        fake.restarted = .success(.handedOver(HandoverReport(previousPID: 100, previousAddress: "http://127.0.0.1:3000", record: Self.record,
                                                             elapsed: .milliseconds(40), previous: .exited(after: .milliseconds(300)))))
        let handed = try run(["daemon", "restart", "--port", "0"], on: fake)
        #expect(fake.calls == [.restart(StartRequest(overrides: .init(port: 0), timeout: .seconds(30)))])
        #expect(handed.out == ["restarted (pid 100 → 48211) on http://127.0.0.1:3000 in 40 ms, listener kept open; pid 100 had nothing in progress and exited 300 ms after the takeover"])
        let since = Date(timeIntervalSince1970: 1_780_000_000)
        let finishing = DrainRecord(pid: 100, processStartTime: 1, reason: .replaced, since: since, cutAt: since.addingTimeInterval(600), requests: 3, streams: 2)
        fake.restarted = .success(.handedOver(HandoverReport(previousPID: 100, previousAddress: "http://127.0.0.1:3000", record: Self.record,
                                                             elapsed: .milliseconds(40), previous: .finishing(finishing))))
        #expect(try run(["daemon", "restart"], on: fake).out
            == ["restarted (pid 100 → 48211) on http://127.0.0.1:3000 in 40 ms, listener kept open; pid 100 is finishing 3 requests (2 streams) in progress, for up to 600 s (drain_timeout); `cco daemon status` follows it"])
        fake.restarted = .success(.handedOver(HandoverReport(previousPID: 100, previousAddress: "http://127.0.0.1:3111", record: Self.record,
                                                             elapsed: .milliseconds(40), previous: .exited(after: .milliseconds(300)))))
        #expect(try run(["daemon", "restart", "--port", "3000"], on: fake).out.first?.contains("on http://127.0.0.1:3000 in 40 ms, moved from http://127.0.0.1:3111; pid 100") == true)

        fake.restarted = .success(.stoppedAndStarted(.notRunning(service: nil, state: nil),
                                                     .started(service: nil, pid: 7, address: "http://127.0.0.1:3000", elapsed: .milliseconds(20), notes: [])))
        #expect(try run(["daemon", "restart"], on: fake).out == ["not running", "started (pid 7) on http://127.0.0.1:3000 in 20 ms"])

        fake.restarted = .success(.restarted(service: "cco-daemon.service", pid: 8, address: "http://127.0.0.1:3000", elapsed: .milliseconds(90)))
        #expect(try run(["daemon", "restart"], on: fake).out == ["restarted cco-daemon.service (pid 8) on http://127.0.0.1:3000 in 90 ms"])
    }

    @Test func aFailedRestartKeepsTheDaemonsWordsAndExitsOne() throws {
        let fake = FakeSupervisor()
        fake.restarted = .failure(DaemonError(.startFailed, "cannot open the analytics database\n  the running daemon (pid 100) goes on serving"))
        let run = try run(["daemon", "restart"], on: fake)
        #expect(run.err == ["error: cannot open the analytics database\n  the running daemon (pid 100) goes on serving"])
        #expect(run.exit == .failure)
    }

    // MARK: reload

    @Test func reloadSaysWhatTheDaemonApplied() throws {
        let fake = FakeSupervisor()
        fake.reloaded = .success(.reloaded(service: nil, pid: 48211, status: "reloaded: log_level = debug"))
        #expect(try run(["daemon", "reload"], on: fake).out == ["reloaded: log_level = debug (pid 48211)"])
        fake.reloaded = .success(.reloaded(service: "cco-daemon.service", pid: 51002, status: "reloaded: nothing changed"))
        #expect(try run(["daemon", "reload"], on: fake).out == ["reloaded cco-daemon.service (pid 51002): reloaded: nothing changed"])
        fake.reloaded = .success(.requested(pid: 48211))
        #expect(try run(["daemon", "reload"], on: fake).out == ["reload requested (pid 48211); `cco daemon logs` shows the outcome"])
    }

    @Test func aRefusedReloadExitsWithTheConfigStatusAndNothingRunningWithOne() throws {
        let fake = FakeSupervisor()
        fake.reloaded = .failure(DaemonError(.config, "the daemon (pid 1) refused the reload: `log_level` must be one of …"))
        #expect(try run(["daemon", "reload"], on: fake).exit.rawValue == 78)
        fake.reloaded = .failure(DaemonError(.notRunning, "not running; nothing to reload"))
        let notRunning = try run(["daemon", "reload"], on: fake)
        #expect(notRunning.err == ["error: not running; nothing to reload"])
        #expect(notRunning.exit == .failure)
    }

    // MARK: status

    @Test func statusExitsThreeWhenNothingRunsAndZeroWhenHealthy() throws {
        let fake = FakeSupervisor()
        fake.statusReport = .success(.standalone(ProcessReport(paths: Self.paths, status: .notRunning, health: nil, now: Date())))
        let stopped = try run(["daemon", "status"], on: fake)
        #expect(stopped.out == ["● cco daemon: not running"])
        #expect(stopped.exit.rawValue == 3)

        fake.statusReport = .success(.standalone(ProcessReport(paths: Self.paths, status: .running(Self.record), health: nil,
                                                               now: Self.record.startedAt.addingTimeInterval(120))))
        let running = try run(["daemon", "status"], on: fake)
        #expect(running.exit == .success)
        let text = running.out.joined(separator: "\n")
        #expect(text.contains("● cco daemon: running (standalone)"))
        #expect(text.contains("pid: 48211, since "))
        #expect(text.contains("(2 min ago)"))
        #expect(text.contains(" address: http://127.0.0.1:3000   health: unknown"))
        #expect(text.contains("  config: /home/ana/.cco/config.toml"))
    }

    @Test func statusOfAStalePIDFileExitsOneWithAHint() throws {
        let fake = FakeSupervisor()
        fake.statusReport = .success(.standalone(ProcessReport(paths: Self.paths, status: .stale(Self.record), health: nil, now: Date())))
        let run = try run(["daemon", "status"], on: fake)
        #expect(run.exit.rawValue == 1)
        #expect(run.out.joined(separator: "\n").contains("hint: `cco daemon start` removes it and starts again"))
    }

    @Test func statusOfAFailedUnitSaysWhyShowsItsJournalAndExitsOne() throws {
        let fake = FakeSupervisor(kind: .systemd)
        let unit = UnitSnapshot(name: "cco-daemon.service", state: .dead, activeState: "failed", subState: "failed", unitFileState: "enabled",
                                result: "exit-code", mainPID: 0, restarts: 5, statusText: "", execMainStatus: 78, activeSince: nil, watchdogSeconds: 30)
        fake.statusReport = .success(.systemd(UnitReport(service: unit, socket: nil, record: nil, health: nil,
                                                         explanation: "the daemon exited with status 78 (configuration error)",
                                                         lastLogLines: ["09:31:02 error config.toml:2: `port` must be …"], paths: Self.paths)))
        let run = try run(["daemon", "status"], on: fake)
        #expect(run.exit.rawValue == 1)
        #expect(run.out.joined(separator: "\n") == """
            ● cco-daemon.service (systemd user unit, enabled)
              failed (failed): the daemon exited with status 78 (configuration error), restarts: 5
              last log lines:
                09:31:02 error config.toml:2: `port` must be …
              hint: fix the config (cco config validate), then `cco daemon restart`
              config: /home/ana/.cco/config.toml
                logs: journalctl --user -u cco-daemon.service (cco daemon logs -f)
            """)

        let json = try self.run(["daemon", "status", "--json"], on: fake)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.joined().utf8)) as? [String: Any])
        #expect(object["state"] as? String == "dead")
        #expect(object["mode"] as? String == "systemd")
        #expect(object["exec_main_status"] as? Int == 78)
        #expect(json.exit.rawValue == 1)
    }

    @Test func statusOfALaunchAgentShowsLaunchdsViewAboveTheProcess() throws {
        let fake = FakeSupervisor(kind: .launchd)
        let daemon = ProcessReport(paths: Self.paths, status: .notRunning, health: nil, now: Date())
        fake.statusReport = .success(.launchd(AgentReport(label: "com.anthropic.cco.daemon", loaded: true, launchdState: "waiting",
                                                          lastExitStatus: 78, daemon: daemon)))
        let run = try run(["daemon", "status"], on: fake)
        #expect(run.out.first == "● com.anthropic.cco.daemon (launchd agent, loaded, waiting, last exit status 78)")
        #expect(run.exit.rawValue == 1)  // it exited with an error
    }

    @Test func aServiceManagerThatCannotBeReachedFailsStatusWithOne() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.statusReport = .failure(DaemonError(.serviceManager, "cannot reach your systemd user manager"))
        let run = try run(["daemon", "status"], on: fake)
        #expect(run.err == ["error: cannot reach your systemd user manager"])
        #expect(run.exit == .failure)
    }

    // MARK: install, uninstall, enable, disable

    @Test func installListsEachFileThenWhatRunsThenTheLingerWarning() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.installed = .success(InstallOutcome(
            files: [InstalledFile(path: "/h/.config/systemd/user/cco-daemon.service", change: .written, effect: "reloaded systemd")],
            stoppedStandalonePID: 4242, activation: .running(pid: 51002, statusText: "listening on http://127.0.0.1:3000"),
            lingerOffUser: "ana"))
        let run = try run(["daemon", "install"], on: fake)
        #expect(run.out == [
            "wrote /h/.config/systemd/user/cco-daemon.service, reloaded systemd",
            "stopped the standalone daemon (pid 4242): the service manager runs it from now on",
            "enabled: starts at login (auto_start = true); running (pid 51002): listening on http://127.0.0.1:3000",
            "warning: lingering is off for ana: the daemon will not run before you log in",
            "  hint: loginctl enable-linger ana",
        ])
        #expect(run.exit == .success)
    }

    @Test func installWithSocketActivationOrWithoutAutoStart() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.installed = .success(InstallOutcome(
            files: [InstalledFile(path: "/u/cco-daemon.service", change: .unchanged, effect: "reloaded systemd"),
                    InstalledFile(path: "/u/cco-daemon.socket", change: .updated, effect: "listening on 127.0.0.1:3000")],
            activation: .socketListening(unit: "cco-daemon.socket", listen: "127.0.0.1:3000")))
        #expect(try run(["daemon", "install"], on: fake).out == [
            "unchanged: /u/cco-daemon.service",
            "updated /u/cco-daemon.socket, listening on 127.0.0.1:3000",
            "enabled: cco-daemon.socket listens on 127.0.0.1:3000 from login (socket_activation = true); the first connection starts the daemon",
        ])
        fake.installed = .success(InstallOutcome(files: [], activation: .notStarted(hint: "`cco daemon enable --now` does both")))
        #expect(try run(["daemon", "install"], on: fake).out == ["not enabled or started (auto_start = false): `cco daemon enable --now` does both"])
    }

    @Test func installDryRunPrintsThePlanAndChangesNothing() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.plan = InstallPlan(files: [PlannedFile(path: "/u/cco-daemon.service", note: "(planned for < 253)", content: .success("[Unit]\nA=b\n")),
                                        PlannedFile(path: "/u/cco-daemon.socket", content: .failure(PlanProblem("cannot render cco-daemon.socket: port 0")))],
                                callsHeading: "would call org.freedesktop.systemd1.Manager on the user bus:", calls: ["Reload()"])
        let command = try #require(try CCO.parseAsRoot(["daemon", "install", "--dry-run"]) as? Daemon.Install)
        let recorded = RecordedConsole()
        try command.run(on: fake, config: DaemonConfig(), console: recorded.console)
        #expect(fake.calls == [.planInstall])
        #expect(recorded.out == ["would write /u/cco-daemon.service (planned for < 253):", "[Unit]\nA=b",
                                 "cannot render cco-daemon.socket: port 0",
                                 "would call org.freedesktop.systemd1.Manager on the user bus:", "  Reload()"])
    }

    @Test func uninstallWithNothingInstalledSaysSo() throws {
        let fake = FakeSupervisor(kind: .systemd)
        #expect(try run(["daemon", "uninstall"], on: fake).out == ["not installed: nothing to do"])
        fake.uninstalled = .success(["stopped cco-daemon.service", "removed /u/cco-daemon.service"])
        #expect(try run(["daemon", "uninstall"], on: fake).out == ["stopped cco-daemon.service", "removed /u/cco-daemon.service"])
    }

    @Test func enableNamesTheLinksItCreatedOrSaysItAlreadyWas() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.enabled = .success(EnableOutcome(service: "cco-daemon.service", change: .links([]), running: nil))
        #expect(try run(["daemon", "enable"], on: fake).out == ["already enabled: cco-daemon.service"])
        fake.enabled = .success(EnableOutcome(service: "cco-daemon.service",
                                              change: .links([.init(file: "/u/default.target.wants/cco-daemon.service", destination: "/u/cco-daemon.service")]),
                                              running: .unit(pid: 9, statusText: "listening on http://127.0.0.1:3000")))
        let now = try run(["daemon", "enable", "--now"], on: fake)
        #expect(fake.calls.last == .enable(now: true))
        #expect(now.out == ["created /u/default.target.wants/cco-daemon.service → /u/cco-daemon.service",
                            "running (pid 9): listening on http://127.0.0.1:3000"])
        fake.enabled = .failure(DaemonError(.notInstalled, "/u/cco-daemon.service does not exist; run `cco daemon install` first"))
        #expect(try run(["daemon", "enable"], on: fake).exit == .failure)
    }

    @Test func disableNamesTheLinksItRemovedAndWhetherItStopped() throws {
        let fake = FakeSupervisor(kind: .systemd)
        fake.disabled = .success(DisableOutcome(service: "cco-daemon.service", removedLinks: ["/u/default.target.wants/cco-daemon.service"], stopped: true))
        #expect(try run(["daemon", "disable", "--now"], on: fake).out == ["removed /u/default.target.wants/cco-daemon.service", "stopped cco-daemon.service"])
        fake.disabled = .success(DisableOutcome(service: "cco-daemon.service", removedLinks: [], stopped: false))
        #expect(try run(["daemon", "disable"], on: fake).out == ["already disabled: cco-daemon.service"])
        fake.disabled = .success(DisableOutcome(service: "com.anthropic.cco.daemon", removedLinks: nil, stopped: true))
        #expect(try run(["daemon", "disable", "--now"], on: fake).out == ["disabled com.anthropic.cco.daemon and stopped it"])
    }

    // MARK: logs

    @Test func logsPrintsTheLastLinesAndSaysOnStderrWhenThereIsNoLogYet() throws {
        let fake = FakeSupervisor()
        fake.logLines = ["one", "two", "three"]
        let run = try run(["daemon", "logs", "-n", "2"], on: fake)
        #expect(fake.calls == [.logs(count: 2, follow: false)])
        #expect(run.out == ["two", "three"])
        fake.logLines = []
        fake.logsOutcome = .success(.noLogYet(path: "/home/ana/.cco/logs/daemon.log"))
        let empty = try self.run(["daemon", "logs"], on: fake)
        #expect(empty.out.isEmpty)
        #expect(empty.err == ["no log yet at /home/ana/.cco/logs/daemon.log (the daemon has not run with this state directory)"])
        #expect(empty.exit == .success)
    }
}
