import Testing
@testable import CCOCore

@Suite struct DaemonConfigTests {
    @Test func missingFileGivesEveryDefault() throws {
        let config = try DaemonConfig.load(from: "/nonexistent/cco/config.toml")
        #expect(config == DaemonConfig())
        #expect(config.port == 3000)
        #expect(config.host == "127.0.0.1")
        #expect(config.logLevel == .info)
        #expect(config.logRotationSize == 10_485_760)
        #expect(config.logMaxFiles == 5)
        #expect(config.databaseURL == "sqlite://analytics.db")
        #expect(config.cacheSize == 1_073_741_824)
        #expect(config.cacheTTL == 3600)
        #expect(config.autoStart)
        #expect(config.healthChecks)
        #expect(config.healthCheckInterval == 30)
        #expect(!config.allowRemote)
    }

    @Test func partialFileKeepsDefaultsForOtherKeys() throws {
        let config = try DaemonConfig.parse("port = 8080\nlog_level = \"debug\"\n", file: "c.toml")
        var expected = DaemonConfig()
        expected.port = 8080
        expected.logLevel = .debug
        #expect(config == expected)
    }

    @Test func everyKeyRoundTripsThroughRenderedTOML() throws {
        var config = DaemonConfig()
        config.port = 0
        config.host = "::1"
        config.logLevel = .trace
        config.logRotationSize = 1
        config.databaseURL = "sqlite:///var/lib/cco/a b.db"
        config.autoStart = false
        config.healthChecks = false
        config.allowRemote = true
        #expect(try DaemonConfig.parse(config.renderTOML(), file: "c.toml") == config)
    }

    @Test(arguments: [
        ("port = \"abc\"", "c.toml:1: `port` must be an integer from 0 to 65535, found \"abc\""),
        ("\nport = 65536", "c.toml:2: `port` must be an integer from 0 to 65535, found 65536"),
        ("port = -1", "c.toml:1: `port` must be an integer from 0 to 65535, found -1"),
        ("port = 3.5", "c.toml:1: `port` must be an integer from 0 to 65535, found 3.5"),
        ("host = \"example.com\"", "c.toml:1: `host` must be an IP address or \"localhost\", found \"example.com\""),
        ("host = \"0.0.0.0\"", "c.toml:1: `host` = \"0.0.0.0\" is not a loopback address and would accept connections from other machines; set `allow_remote = true` to allow that"),
        ("log_level = \"verbose\"", "c.toml:1: `log_level` must be one of trace, debug, info, warn, error, found \"verbose\""),
        ("log_rotation_size = 0", "c.toml:1: `log_rotation_size` must be an integer greater than 0, found 0"),
        ("log_max_files = -2", "c.toml:1: `log_max_files` must be an integer greater than 0, found -2"),
        ("cache_size = 0", "c.toml:1: `cache_size` must be an integer greater than 0, found 0"),
        ("cache_ttl = 0", "c.toml:1: `cache_ttl` must be an integer greater than 0, found 0"),
        ("health_check_interval = 0", "c.toml:1: `health_check_interval` must be an integer greater than 0, found 0"),
        ("auto_start = \"yes\"", "c.toml:1: `auto_start` must be true or false, found \"yes\""),
        ("database_url = \"postgres://x\"", "c.toml:1: `database_url` must be sqlite://relative/path, sqlite:///absolute/path or sqlite::memory:, found \"postgres://x\""),
        ("# comment\n\nlog_levl = \"debug\"", "c.toml:3: `log_levl` is not a known key (did you mean `log_level`?)"),
        ("colour = 1", "c.toml:1: `colour` is not a known key; `cco config show` lists the known keys"),
        ("port = 1\n[server]\nport = 2", "c.toml:2: `server` is not a known key; `cco config show` lists the known keys"),
    ])
    func invalidValueIsOneLineNamingFileLineKeyAndValue(text: String, message: String) {
        #expect(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "c.toml") }
        do {
            _ = try DaemonConfig.parse(text, file: "c.toml")
        } catch {
            #expect(error.description == message)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func firstProblemByLineIsReported() {
        do {
            _ = try DaemonConfig.parse("port = 1\nlog_level = \"x\"\nport_x = 2\n", file: "c.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.key == "log_level")
        }
    }

    @Test func syntaxErrorNamesTheLine() {
        do {
            _ = try DaemonConfig.parse("port = 1\nhost = \"127.0.0.1\nlog_level = \"info\"\n", file: "c.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("c.toml:2: invalid TOML: "))
        }
    }

    @Test func nonLoopbackHostIsAcceptedWithAllowRemote() throws {
        let config = try DaemonConfig.parse("host = \"0.0.0.0\"\nallow_remote = true\n", file: "c.toml")
        #expect(config.host == "0.0.0.0")
    }

    @Test(arguments: ["127.0.0.1", "127.8.9.10", "::1", "localhost", "::ffff:127.0.0.1"])
    func loopbackHostsNeedNoAllowRemote(host: String) {
        #expect(HostAddress.isLoopback(host))
    }

    @Test(arguments: ["0.0.0.0", "192.168.1.2", "::", "fe80::1"])
    func otherHostsAreNotLoopback(host: String) {
        #expect(HostAddress.isValid(host))
        #expect(!HostAddress.isLoopback(host))
    }

    @Test(arguments: [
        ("sqlite://analytics.db", DatabaseLocation.relative("analytics.db")),
        ("sqlite:///var/lib/cco.db", DatabaseLocation.absolute("/var/lib/cco.db")),
        ("sqlite::memory:", DatabaseLocation.memory),
    ])
    func databaseURLForms(url: String, location: DatabaseLocation) {
        #expect(DatabaseLocation(url: url) == location)
    }

    @Test func databasePathsResolveAgainstTheStateDirectory() {
        let paths = CCOPaths(stateDirectory: "/home/a/.cco")
        #expect(DatabaseLocation(url: "sqlite://analytics.db")?.path(in: paths) == "/home/a/.cco/analytics.db")
        #expect(DatabaseLocation(url: "sqlite://data/a.db")?.path(in: paths) == "/home/a/.cco/data/a.db")
        #expect(DatabaseLocation(url: "sqlite:///var/lib/a.db")?.path(in: paths) == "/var/lib/a.db")
        #expect(DatabaseLocation(url: "sqlite::memory:")?.path(in: paths) == ":memory:")
        #expect(DatabaseLocation(url: "sqlite://") == nil)
        #expect(DatabaseLocation(url: "mysql://x") == nil)
    }

    @Test func suggestionFindsTyposButNotNonsense() {
        #expect(ConfigKey.suggestion(for: "prot") == .port)
        #expect(ConfigKey.suggestion(for: "cache_tll") == .cacheTTL)
        #expect(ConfigKey.suggestion(for: "LOG_LEVEL") == .logLevel)
        #expect(ConfigKey.suggestion(for: "zzzzzzzzzz") == nil)
    }

    @Test func overridesAreValidatedLikeTheFile() throws {
        let overrides = DaemonArguments.Overrides(host: "::1", port: 0)
        let config = try overrides.applied(to: DaemonConfig(), configFile: "c.toml")
        #expect(config.host == "::1" && config.port == 0)
        #expect(throws: ConfigError.self) {
            try DaemonArguments.Overrides(port: 70000).applied(to: DaemonConfig(), configFile: "c.toml")
        }
        #expect(throws: ConfigError.self) {
            try DaemonArguments.Overrides(host: "10.0.0.1").applied(to: DaemonConfig(), configFile: "c.toml")
        }
    }
}

@Suite struct DrainTimeoutTests {
    @Test func drainTimeoutIsLongEnoughForAStreamOfMinutesAndBounded() throws {
        #expect(DaemonConfig().drainTimeout == 600)
        #expect(try DaemonConfig.parse("drain_timeout = 1", file: "c.toml").drainTimeout == 1)
        #expect(try DaemonConfig.parse("drain_timeout = 86400", file: "c.toml").drainTimeout == 86400)
        for bad in ["0", "-1", "86401", "\"long\""] {
            do {
                _ = try DaemonConfig.parse("drain_timeout = \(bad)", file: "c.toml")
                Issue.record("drain_timeout = \(bad) was accepted")
            } catch {
                #expect(error.description == "c.toml:1: `drain_timeout` must be an integer from 1 to 86400, found \(bad)")
            }
        }
        #expect(ConfigKey.drainTimeout.effect == .restart)
    }
}
