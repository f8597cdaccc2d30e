import CCOCore
import CCOGateway
import Logging
import Testing
@testable import CCODaemon

@Suite struct ConfigReloaderTests {
    func reloader(running: DaemonConfig, next: Result<DaemonConfig, ConfigError>) -> ConfigReloader {
        ConfigReloader(
            load: { () throws(ConfigError) -> DaemonConfig in try next.get() },
            running: running, logLevel: LogLevelSetting(.info), logFile: nil, state: ServingState(),
            logger: Logger(label: "test"))
    }

    @Test func keysThatNeedARestartOrAnInstallAreNamedAndTheRestApplies() {
        var next = DaemonConfig()
        next.logLevel = .debug
        next.port = 4000
        next.upstreamConnectTimeout = 5
        next.upstreamTimeout = 30
        next.healthCheckInterval = 10
        let outcome = reloader(running: DaemonConfig(), next: .success(next)).reload()
        #expect(outcome.applied)
        #expect(outcome.detail == "reloaded: log_level = debug; port, upstream_connect_timeout change at the next restart (cco daemon restart); health_check_interval change at the next cco daemon install")
    }

    @Test func aBrokenConfigIsRefusedWithItsReason() {
        let error = ConfigError(file: "c.toml", line: 1, key: "port", message: "`port` must be an integer from 0 to 65535, found -1")
        let outcome = reloader(running: DaemonConfig(), next: .failure(error)).reload()
        #expect(!outcome.applied)
        #expect(outcome.detail == "reload refused: c.toml:1: `port` must be an integer from 0 to 65535, found -1")
    }
}
