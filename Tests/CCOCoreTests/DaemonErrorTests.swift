import Testing
@testable import CCOCore

@Suite struct DaemonErrorTests {
    @Test func errorsCompareByCodeNotDetail() {
        #expect(DaemonError(.alreadyRunning, "a") == DaemonError(.alreadyRunning, "b"))
        #expect(DaemonError(.alreadyRunning, "a") != DaemonError(.notRunning, "a"))
    }

    @Test func stateDirectoryComesFromCCOHomeThenHome() throws {
        #expect(try CCOPaths.resolve(environment: ["CCO_HOME": "/srv/cco/", "HOME": "/home/a"]).stateDirectory == "/srv/cco")
        #expect(try CCOPaths.resolve(environment: ["HOME": "/home/a"]).configFile == "/home/a/.cco/config.toml")
        #expect(try CCOPaths.resolve(environment: ["CCO_HOME": "~/x", "HOME": "/home/a"]).stateDirectory == "/home/a/x")
        #expect(throws: DaemonError.self) { try CCOPaths.resolve(environment: [:]) }
    }
}
