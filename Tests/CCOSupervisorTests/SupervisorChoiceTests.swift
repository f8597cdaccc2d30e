import Testing
import CCOTestSupport
@testable import CCOCore
@testable import CCOSupervisor

@Suite struct SupervisorChoiceTests {
    func choice(home: String, _ extra: [String: String] = [:]) -> SupervisorChoice {
        SupervisorChoice(paths: CCOPaths(stateDirectory: home + "/.cco"), executable: "/opt/cco/cco",
                         environment: ["HOME": home].merging(extra) { _, new in new })
    }

    @Test func standaloneUntilAUnitIsInstalledThenSystemd() throws {
        try withTemporaryDirectory { home throws in
            let standalone = choice(home: home).supervisor()
            #expect(standalone.kind == .standalone)
            #expect((standalone as? StandaloneSupervisor)?.executable == "/opt/cco/cco-daemon")
            #expect((standalone as? StandaloneSupervisor)?.serviceManager().kind == .systemd)

            let units = home + "/.config/systemd/user"
            #expect(mkdirs(units))
            writeFile(units + "/cco-daemon.service", "[Service]\n")
            #expect(choice(home: home).supervisor().kind == .systemd)
            // An XDG_CONFIG_HOME elsewhere holds no unit: standalone again.
            #expect(choice(home: home, ["XDG_CONFIG_HOME": home + "/elsewhere"]).supervisor().kind == .standalone)
        }
    }

    @Test func launchdWhenChosenAndItsAgentIsInstalled() throws {
        try withTemporaryDirectory { home throws in
            let launchd = ["CCO_SERVICE_MANAGER": "launchd"]
            #expect(choice(home: home, launchd).platform == .launchd)
            #expect(choice(home: home, launchd).supervisor().kind == .standalone)
            #expect(mkdirs(home + "/Library/LaunchAgents"))
            writeFile(home + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist", "<plist/>")
            #expect(choice(home: home, launchd).supervisor().kind == .launchd)
            // `standalone` is not a service manager to pick.
            #expect(choice(home: home, ["CCO_SERVICE_MANAGER": "standalone"]).platform == .systemd)
        }
    }
}
