import Testing
@testable import CCOCore

@Suite struct GatewayConfigTests {
    @Test func gatewayKeysHaveTheirDefaults() {
        let config = DaemonConfig()
        #expect(config.upstreamURL == "https://api.anthropic.com")
        #expect(config.cacheMode == .exact)
        #expect(!config.cachePersist)
        #expect(config.maxRequestSize == 32 << 20)
        #expect(config.analyticsRetentionDays == 90)
        #expect(config.pricing.isEmpty)
        #expect(config.upstreamMaxConnections == 4096)
    }

    @Test func upstreamMaxConnectionsIsBoundedOnBothSides() throws {
        #expect(try DaemonConfig.parse("upstream_max_connections = 1", file: "c.toml").upstreamMaxConnections == 1)
        #expect(try DaemonConfig.parse("upstream_max_connections = 16384", file: "c.toml").upstreamMaxConnections == 16384)
        for bad in ["0", "-3", "16385", "\"many\""] {
            do {
                _ = try DaemonConfig.parse("upstream_max_connections = \(bad)", file: "c.toml")
                Issue.record("upstream_max_connections = \(bad) was accepted")
            } catch {
                #expect(error.description == "c.toml:1: `upstream_max_connections` must be an integer from 1 to 16384, found \(bad)")
            }
        }
    }

    @Test func allowedHostsIsAListOfNamesLowercased() throws {
        #expect(try DaemonConfig.parse(#"allowed_hosts = ["CCO.home.arpa", "::1", "box"]"#, file: "c.toml").allowedHosts == ["cco.home.arpa", "::1", "box"])
        for (bad, found) in [(#""cco.home.arpa""#, #""cco.home.arpa""#), (#"["a b"]"#, #"["a b"]"#), (#"["http://x"]"#, #"["http://x"]"#), ("[1]", "a TOML array")] {
            do {
                _ = try DaemonConfig.parse("allowed_hosts = \(bad)", file: "c.toml")
                Issue.record("allowed_hosts = \(bad) was accepted")
            } catch {
                #expect(error.description == "c.toml:1: `allowed_hosts` must be a list of host names or addresses, e.g. [\"cco.home.arpa\"], found \(found)")
            }
        }
        #expect(ConfigKey.allowedHosts.parseCommandLineValue("a.test, b.test") == .strings(["a.test", "b.test"]))
        #expect(ConfigValue.strings(["a", "b"]).toml == #"["a", "b"]"#)
    }

    @Test(arguments: [
        ("https://api.anthropic.com", "https", "api.anthropic.com", 443, ""),
        ("http://127.0.0.1:8080", "http", "127.0.0.1", 8080, ""),
        ("https://proxy.example/anthropic/", "https", "proxy.example", 443, "/anthropic"),
        ("http://[::1]:9000", "http", "::1", 9000, ""),
    ])
    func upstreamURLsAreTakenApart(text: String, scheme: String, host: String, port: Int, base: String) throws {
        let url = try #require(UpstreamURL(text))
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.basePath == base)
        #expect(url.target(forPath: "/v1/messages?beta=true") == base + "/v1/messages?beta=true")
    }

    @Test(arguments: ["api.anthropic.com", "ftp://x", "https://", "https://u:p@host", "https://h/?q=1", "http://h:0", "http://h:99999", "https://h#f"])
    func upstreamURLsThatCannotTakeAPathAreRefused(text: String) {
        #expect(UpstreamURL(text) == nil)
    }

    @Test func badGatewayValuesNameTheKeyAndWhatIsAllowed() {
        for (text, expected) in [
            ("upstream_url = \"api.anthropic.com\"", "`upstream_url` must be an http:// or https:// URL"),
            ("cache_mode = \"fuzzy\"", "`cache_mode` must be one of exact, off, found \"fuzzy\""),
            ("analytics_retention_days = -1", "`analytics_retention_days` must be an integer from 0 up, found -1"),
            ("max_request_size = 0", "`max_request_size` must be an integer greater than 0, found 0"),
        ] {
            #expect(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "c.toml") }
            do {
                _ = try DaemonConfig.parse(text, file: "c.toml")
            } catch {
                #expect(error.description.hasPrefix("c.toml:1: " + expected), "\(error)")
            }
        }
    }

    @Test func pricingTablesOverrideAndAddModels() throws {
        let config = try DaemonConfig.parse("""
            port = 3000

            [pricing."claude-sonnet-4-5"]
            input = 2
            output = 10.5

            [pricing.my-model]
            input = 1.0
            output = 2.0
            cache_read = 0.5
            cache_write = 1.5
            """, file: "c.toml")
        #expect(config.pricing["claude-sonnet-4-5"] == PriceOverride(input: 2, output: 10.5))
        #expect(config.pricing["my-model"] == PriceOverride(input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.5))
        // Rendered back (config show) and parsed again, nothing changes.
        #expect(try DaemonConfig.parse(config.renderTOML(), file: "c.toml") == config)
    }

    @Test func badPricesNameTheLineAndTheField() {
        let cases = [
            ("[pricing.m]\ninput = 1\n", "c.toml:1: `pricing.m` needs both `input` and `output`"),
            ("port = 1\n[pricing.m]\ninput = 1\noutput = -2\n", "c.toml:2: `pricing.m.output` must be a number from 0 up"),
            ("[pricing.m]\ninput = 1\noutput = 2\ncache_reads = 1\n", "c.toml:1: `cache_reads` is not a price field"),
            ("pricing = 3\n", "c.toml:1: `pricing` must be a table of models"),
        ]
        for (text, expected) in cases {
            do {
                _ = try DaemonConfig.parse(text, file: "c.toml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error)")
            }
        }
    }

    // Found by scripts/faults: toml++ aborted the process on a control character in a table header.
    @Test func aControlCharacterIsAOneLineErrorNotACrash() {
        for (text, expected) in [
            ("port = 1\n[\u{1D}ricing.m]\n", "c.toml:2: invalid TOML: control character U+001D at column 2 is not allowed; delete it"),
            ("port = 1\r\nhost = \"a\u{7F}\"\r\n", "c.toml:2: invalid TOML: control character U+007F at column 10"),
            ("port = 1\rhost = 2\n", "c.toml:1: invalid TOML: control character U+000D"),
        ] {
            do {
                _ = try DaemonConfig.parse(text, file: "c.toml")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error)")
            }
        }
        #expect(throws: Never.self) { try DaemonConfig.parse("port = 1\r\n\tlog_level = \"info\"\r\n", file: "c.toml") }
    }

    @Test func anErrorQuotingANewlineStaysOneLine() {
        let error = ConfigError(file: "c.toml", line: 1, key: nil, message: "expected 'true', saw 't\n'")
        #expect(error.description == "c.toml:1: expected 'true', saw 't\\n'")
    }
}
