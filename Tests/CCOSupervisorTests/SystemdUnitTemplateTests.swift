import Foundation
import Testing
import CCOSystemd
@testable import CCOCore
@testable import CCOSupervisor

@Suite struct SystemdUnitTemplateTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url
    }()

    @Test func shippedUnitFileIsTheTemplate() throws {
        let shipped = try String(contentsOf: Self.root.appendingPathComponent("systemd/cco-daemon.service"), encoding: .utf8)
        #expect(shipped == SystemdUnitTemplate.template)
    }

    @Test func renderedUnitMatchesGoldenFileForSystemd252() throws {
        var config = DaemonConfig()
        config.healthCheckInterval = 15
        let unit = SystemdUnitTemplate(executable: "/opt/my tools/100%/cco", stateDirectory: "/home/ana/.cco",
                                       ccoHome: nil, managerVersion: 252, config: config)
        let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/CCOSupervisorTests/Fixtures/cco-daemon-252.service"), encoding: .utf8)
        #expect(unit.render() == golden)
    }

    @Test func shippedSocketFileIsTheTemplate() throws {
        let shipped = try String(contentsOf: Self.root.appendingPathComponent("systemd/cco-daemon.socket"), encoding: .utf8)
        #expect(shipped == SystemdSocketTemplate.template)
    }

    @Test(arguments: [("127.0.0.1", 3000, "127.0.0.1:3000"), ("::1", 4100, "[::1]:4100"), ("0.0.0.0", 80, "0.0.0.0:80")])
    func socketUnitListensOnTheConfiguredAddress(host: String, port: Int, listen: String) throws {
        let socket = try SystemdSocketTemplate(host: host, port: port, configFile: "/c.toml")
        #expect(socket.listen == listen)
        #expect(socket.render().contains("\nListenStream=\(listen)\n"))
        #expect(socket.render().contains("\nWantedBy=sockets.target\n"))
        #expect(!socket.render().contains("{{"))
    }

    @Test func socketActivationNeedsAFixedPort() {
        #expect(throws: ConfigError.self) { try SystemdSocketTemplate(host: "127.0.0.1", port: 0, configFile: "/c.toml") }
        do {
            _ = try SystemdSocketTemplate(host: "127.0.0.1", port: 0, configFile: "/c.toml")
        } catch {
            #expect(error.description.contains("`socket_activation` needs a fixed `port`"))
        }
    }

    @Test func withSocketActivationTheServiceRequiresTheSocketAndEveryUnitKeepsItsListener() {
        var config = DaemonConfig()
        let plain = SystemdUnitTemplate(executable: "/usr/bin/cco", stateDirectory: "/s", ccoHome: nil, managerVersion: 252, config: config).render()
        #expect(!plain.contains("cco-daemon.socket"))
        #expect(plain.contains("\nFileDescriptorStoreMax=1\n"))
        config.socketActivation = true
        let activated = SystemdUnitTemplate(executable: "/usr/bin/cco", stateDirectory: "/s", ccoHome: nil, managerVersion: 252, config: config).render()
        #expect(activated.contains("\nRequires=cco-daemon.socket\nAfter=cco-daemon.socket\n"))
    }

    @Test func notifyReloadFromSystemd253AndNoWatchdogWithoutHealthChecks() {
        var config = DaemonConfig()
        config.healthChecks = false
        let text = SystemdUnitTemplate(executable: "/usr/bin/cco", stateDirectory: "/srv/cco dir", ccoHome: "/srv/cco dir",
                                       managerVersion: 254, config: config).render()
        #expect(text.contains("Type=notify-reload\n"))
        #expect(!text.contains("ExecReload="))
        #expect(!text.contains("WatchdogSec="))
        #expect(text.contains("Environment=\"CCO_HOME=/srv/cco dir\"\n"))
        #expect(text.contains("ReadWritePaths=-\"/srv/cco dir\"\n"))
        #expect(!text.contains("{{"))
    }

    @Test(arguments: [
        ("/usr/bin/cco", "/usr/bin/cco"),
        ("/opt/my tools/cco", "\"/opt/my tools/cco\""),
        ("/opt/100%/cco", "/opt/100%%/cco"),
        ("/opt/$HOME/cco", "/opt/$$HOME/cco"),
        ("/opt/a \"b\"\\c/cco", "\"/opt/a \\\"b\\\"\\\\c/cco\""),
    ])
    func execWordsAreEscapedForUnitFiles(path: String, escaped: String) {
        #expect(UnitFileEscaping.execWord(path) == escaped)
    }

    @Test(arguments: [
        (UnitStatus(result: "exit-code", execMainStatus: 78), "the daemon exited with status 78 (configuration error)"),
        (UnitStatus(result: "exit-code", execMainStatus: 1), "the daemon exited with status 1"),
        (UnitStatus(result: "watchdog"), "the daemon stopped answering and the watchdog killed it"),
        (UnitStatus(result: "signal", execMainStatus: 9), "the daemon was killed by signal 9"),
        (UnitStatus(result: "timeout"), "the daemon did not report ready (or stop) in time"),
        (UnitStatus(result: "start-limit-hit", restarts: 5), "start-limit-hit: it failed too often in a row (after 5 restarts)"),
    ])
    func failedResultsAreExplainedInWords(status: UnitStatus, words: String) {
        #expect(SystemdSupervisor.explain(status) == words)
    }

    @Test func anAbsoluteDatabaseOutsideTheStateDirectoryIsMadeWritable() {
        var config = DaemonConfig()
        config.databaseURL = "sqlite:///var/lib/cco data/analytics.db"
        let outside = SystemdUnitTemplate(executable: "/usr/bin/cco", stateDirectory: "/home/a/.cco", ccoHome: nil, managerVersion: 252, config: config)
        #expect(outside.render().contains("ReadWritePaths=-\"/var/lib/cco data\"\n"))
        config.databaseURL = "sqlite:///home/a/.cco/db/analytics.db"
        let inside = SystemdUnitTemplate(executable: "/usr/bin/cco", stateDirectory: "/home/a/.cco", ccoHome: nil, managerVersion: 252, config: config)
        #expect(inside.render().components(separatedBy: "ReadWritePaths=").count == 2)
    }

    @Test func unitDirectoryFollowsXDGConfigHome() {
        let paths = CCOPaths(stateDirectory: "/h/.cco")
        #expect(SystemdUserUnits(paths: paths, environment: ["HOME": "/h"]).servicePath == "/h/.config/systemd/user/cco-daemon.service")
        #expect(SystemdUserUnits(paths: paths, environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"]).servicePath == "/x/systemd/user/cco-daemon.service")
    }
}

@Suite struct JournalLogHandlerTests {
    @Test func metadataKeysBecomeCCOFields() {
        #expect(JournalLogHandler.fieldName("request_id") == "CCO_REQUEST_ID")
        #expect(JournalLogHandler.fieldName("hb.request.path") == "CCO_HB_REQUEST_PATH")
        #expect(Journal.isValidFieldName("CCO_REQUEST_ID"))
        #expect(!Journal.isValidFieldName("_PID"))
        #expect(!Journal.isValidFieldName("lower"))
    }
}
