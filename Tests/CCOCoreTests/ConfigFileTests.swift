import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct ConfigFileTests {
    @Test func setReplacesTheKeyKeepingCommentsAndOtherKeys() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/config.toml"
            writeFile(path, "# my daemon\nport = 3000 # the usual\nlog_level = \"info\"\n")
            let config = try ConfigFile(path: path).set(.port, to: .integer(8080))
            #expect(config.port == 8080)
            #expect(readFile(path) == "# my daemon\nport = 8080\nlog_level = \"info\"\n")
        }
    }

    @Test func setAddsAMissingKeyBeforeTheFirstTable() {
        let text = ConfigFile.setting(.host, to: .string("::1"), in: "port = 1\n[x]\ny = 2\n")
        #expect(text == "port = 1\nhost = \"::1\"\n[x]\ny = 2\n")
    }

    @Test func setCreatesTheFileWithMode0600() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/config.toml"
            try ConfigFile(path: path).set(.logLevel, to: .string("debug"))
            #expect(readFile(path) == "log_level = \"debug\"\n")
            #expect(fileMode(path) == 0o600)
        }
    }

    @Test func invalidValueLeavesTheFileUntouched() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/config.toml"
            writeFile(path, "port = 3000\n")
            #expect(throws: ConfigError.self) { try ConfigFile(path: path).set(.port, to: .string("abc")) }
            #expect(throws: ConfigError.self) { try ConfigFile(path: path).set(.host, to: .string("10.0.0.1")) }
            #expect(readFile(path) == "port = 3000\n")
            let entries = try directoryEntries(dir)
            #expect(entries == ["config.toml"])  // no temporary file left behind
        }
    }

    @Test func commandLineValuesAreTypedByKey() {
        #expect(ConfigKey.port.parseCommandLineValue("80") == .integer(80))
        #expect(ConfigKey.autoStart.parseCommandLineValue("false") == .boolean(false))
        #expect(ConfigKey.host.parseCommandLineValue("::1") == .string("::1"))
        #expect(ConfigKey.port.parseCommandLineValue("eighty") == .string("eighty"))
    }
}
