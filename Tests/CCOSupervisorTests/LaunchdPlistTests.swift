import Foundation
import Testing
import CCOTestSupport
@testable import CCOCore
@testable import CCOSupervisor

@Suite struct LaunchdPlistTests {
    static let awkward = LaunchdPlist(
        executable: "/Users/Ana Lía/My \"Tools\" & <More>/cco", stateDirectory: "/Users/Ana Lía/.cco & co",
        ccoHome: "/Users/Ana Lía/.cco & co", config: DaemonConfig())

    @Test func plistMatchesGoldenFile() throws {
        let golden = try String(contentsOf: SystemdUnitTemplateTests.root.appendingPathComponent("Tests/CCOSupervisorTests/Fixtures/com.anthropic.cco.daemon.plist"), encoding: .utf8)
        #expect(Self.awkward.render() == golden)
    }

    @Test func plistParsesWithPropertyListSerializationToTheSameValues() throws {
        let parsed = try PropertyListSerialization.propertyList(from: Data(Self.awkward.render().utf8), format: nil)
        let dict = try #require(parsed as? [String: Any])
        #expect(dict["Label"] as? String == "com.anthropic.cco.daemon")
        #expect(dict["ProgramArguments"] as? [String] == ["/Users/Ana Lía/My \"Tools\" & <More>/cco", "daemon", "run"])
        #expect(dict["RunAtLoad"] as? Bool == true)
        #expect((dict["KeepAlive"] as? [String: Any])?["SuccessfulExit"] as? Bool == false)
        #expect(dict["ThrottleInterval"] as? Int == 10)
        #expect(dict["ProcessType"] as? String == "Background")
        let environment = try #require(dict["EnvironmentVariables"] as? [String: String])
        #expect(environment["CCO_HOME"] == "/Users/Ana Lía/.cco & co")
        #expect(environment["PATH"]?.hasPrefix("/usr/local/bin:") == true)
        #expect(dict["StandardOutPath"] as? String == "/Users/Ana Lía/.cco & co/logs/daemon.out")
        #expect(dict["StandardErrorPath"] as? String == "/Users/Ana Lía/.cco & co/logs/daemon.out")
        #expect(dict["WorkingDirectory"] as? String == "/Users/Ana Lía/.cco & co")
    }

    @Test func runAtLoadFollowsAutoStartAndCCOHomeIsOnlySetWhenChosen() throws {
        var config = DaemonConfig()
        config.autoStart = false
        let plist = LaunchdPlist(executable: "/usr/local/bin/cco", stateDirectory: "/Users/a/.cco", ccoHome: nil, config: config)
        let dict = try #require(try PropertyListSerialization.propertyList(from: Data(plist.render().utf8), format: nil) as? [String: Any])
        #expect(dict["RunAtLoad"] as? Bool == false)
        #expect((dict["EnvironmentVariables"] as? [String: String])?["CCO_HOME"] == nil)
    }

    @Test func plistPathIsTheUsersLaunchAgents() {
        #expect(LaunchdPlist.path(home: "/Users/a") == "/Users/a/Library/LaunchAgents/com.anthropic.cco.daemon.plist")
    }
}

/// A launchctl stand-in that answers from a script of rules and records every argument vector.
final class ScriptedLaunchctl: CommandRunner, @unchecked Sendable {
    var calls: [[String]] = []
    /// Answers by the joined arguments; a list is consumed one answer per call, the last one repeating.
    var answers: [String: [Int32]] = [:]

    func run(_ executable: String, _ arguments: [String]) -> CommandResult {
        #expect(executable == "/bin/launchctl")
        calls.append(arguments)
        let key = arguments.joined(separator: " ")
        guard var list = answers[key], !list.isEmpty else { return CommandResult(status: 0, output: "") }
        let status = list.count > 1 ? list.removeFirst() : list[0]
        answers[key] = list
        return CommandResult(status: status, output: status == 0 ? "" : "error \(status)")
    }
}

@Suite struct LaunchAgentTests {
    let gui = "gui/501", target = "gui/501/com.anthropic.cco.daemon"

    func manager(_ launchctl: ScriptedLaunchctl, home: String) -> LaunchAgent {
        var manager = LaunchAgent(
            paths: CCOPaths(stateDirectory: home + "/.cco"), executable: "/usr/local/bin/cco",
            environment: ["HOME": home], uid: 501, runner: launchctl)
        manager.pause = { _ in }
        return manager
    }

    @Test func installWritesTheAgentEnablesAndBootstrapsIntoTheGUIDomain() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["print \(target)"] = [113]
            let outcome = try manager(launchctl, home: home).install(config: DaemonConfig())
            #expect(outcome.file == .written && outcome.domain == gui && outcome.enabled)
            #expect(launchctl.calls == [
                ["print", gui], ["print", target], ["enable", target],
                ["bootstrap", gui, home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist"],
            ])
            #expect(FileSystem.exists(home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist"))
        }
    }

    @Test func installOverSSHFallsBackToTheUserDomain() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["print \(gui)"] = [125]
            launchctl.answers["print user/501/com.anthropic.cco.daemon"] = [113]
            var config = DaemonConfig()
            config.autoStart = false
            let outcome = try manager(launchctl, home: home).install(config: config)
            #expect(outcome.domain == "user/501" && !outcome.enabled)
            #expect(launchctl.calls == [
                ["print", gui], ["print", "user/501/com.anthropic.cco.daemon"],
                ["bootstrap", "user/501", home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist"],
            ])
        }
    }

    @Test func installAgainIsUnchangedAndAChangedAgentIsReloaded() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()  // loaded: every print succeeds
            let m = manager(launchctl, home: home)
            _ = try m.install(config: DaemonConfig())
            launchctl.calls = []
            #expect(try m.install(config: DaemonConfig()).file == .unchanged)
            #expect(launchctl.calls == [["print", gui], ["print", target], ["enable", target]])

            launchctl.calls = []
            var config = DaemonConfig()
            config.autoStart = false  // RunAtLoad changes: the loaded agent must be replaced
            #expect(try m.install(config: config).file == .updated)
            #expect(launchctl.calls == [
                ["print", gui], ["print", target], ["bootout", target],
                ["bootstrap", gui, home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist"],
            ])
        }
    }

    @Test func bootoutIsRetriedWhileLaunchdReportsTheOperationInProgress() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["bootout \(target)"] = [36, 37, 36, 0]
            try manager(launchctl, home: home).stop()
            #expect(launchctl.calls == [["print", gui], ["print", target]] + Array(repeating: ["bootout", target], count: 4))
        }
    }

    @Test func bootoutGivesUpAfterItsAttempts() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["bootout \(target)"] = [36]
            #expect(throws: DaemonError.self) { try manager(launchctl, home: home).stop() }
            #expect(launchctl.calls.filter { $0.first == "bootout" }.count == 10)
        }
    }

    @Test func exitFiveOnBootstrapIsTranslatedIntoAdvice() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["print \(target)"] = [113]
            launchctl.answers["bootstrap \(gui) \(home)/Library/LaunchAgents/com.anthropic.cco.daemon.plist"] = [5]
            do {
                _ = try manager(launchctl, home: home).install(config: DaemonConfig())
                Issue.record("expected a failure")
            } catch let error as DaemonError {
                #expect(error.code == .serviceManager)
                #expect(error.description.hasPrefix("launchctl bootstrap failed (exit 5): Input/output error: the agent is already loaded, or was loaded in the other domain"))
                #expect(error.description.contains("cco daemon uninstall"))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func startLoadsWhenNeededThenKickstartsAndRestartUsesKickstartK() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            launchctl.answers["print \(target)"] = [113, 0]
            let m = manager(launchctl, home: home)
            try m.start()
            #expect(launchctl.calls == [
                ["print", gui], ["print", target],
                ["bootstrap", gui, home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist"], ["kickstart", target],
            ])
            launchctl.calls = []
            try m.restart()
            #expect(launchctl.calls == [["print", gui], ["print", target], ["kickstart", "-k", target]])
        }
    }

    @Test func enableDisableAndUninstallPlans() throws {
        try withTemporaryDirectory { home throws in
            let launchctl = ScriptedLaunchctl()
            let m = manager(launchctl, home: home)
            try m.enable(now: false)
            #expect(launchctl.calls == [["print", gui], ["enable", target]])
            launchctl.calls = []
            try m.disable(now: true)
            #expect(launchctl.calls == [["print", gui], ["disable", target], ["print", target], ["bootout", target]])
            launchctl.calls = []
            _ = try m.install(config: DaemonConfig())
            launchctl.calls = []
            let notes = try m.uninstall()
            #expect(launchctl.calls == [["print", gui], ["print", target], ["bootout", target]])
            #expect(notes.last == "removed \(home)/Library/LaunchAgents/com.anthropic.cco.daemon.plist")
            #expect(!m.isInstalled)
        }
    }

    @Test func printOutputGivesStatePIDAndLastExitStatus() {
        let output = """
        gui/501/com.anthropic.cco.daemon = {
        \tactive count = 1
        \tpath = /Users/a/Library/LaunchAgents/com.anthropic.cco.daemon.plist
        \tstate = running
        \tprogram = /usr/local/bin/cco
        \tpid = 4242
        \tlast exit code = 78: EX_CONFIG
        }
        """
        let status = LaunchAgent.parsePrint(output)
        #expect(status == .init(loaded: true, state: "running", pid: 4242, lastExitStatus: 78))
    }
}
