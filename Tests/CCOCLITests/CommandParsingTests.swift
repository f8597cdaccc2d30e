import ArgumentParser
import Testing
@testable import CCOCLI
@testable import CCOCore
import CCOAnalytics

@Suite struct CommandParsingTests {
    @Test func logsTakesLinesAndFollow() throws {
        let logs = try #require(try CCO.parseAsRoot(["daemon", "logs", "-f", "-n", "100"]) as? Daemon.Logs)
        #expect(logs.lines == 100 && logs.follow)
        let defaults = try #require(try CCO.parseAsRoot(["daemon", "logs"]) as? Daemon.Logs)
        #expect(defaults.lines == 50 && !defaults.follow)
    }

    @Test func logsRejectsZeroLines() {
        #expect(throws: (any Error).self) { try CCO.parseAsRoot(["daemon", "logs", "-n", "0"]) }
    }

    @Test func startCarriesHostPortAndTimeout() throws {
        let start = try #require(try CCO.parseAsRoot(["daemon", "start", "--port", "8080", "--host", "::1", "--timeout", "5"]) as? Daemon.Start)
        #expect(start.address.overrides == DaemonArguments.Overrides(host: "::1", port: 8080))
        #expect(start.address.overrides.arguments == ["--port", "8080", "--host", "::1"])
        #expect(start.timeout == 5)
        let plain = try #require(try CCO.parseAsRoot(["daemon", "start"]) as? Daemon.Start)
        #expect(plain.address.overrides.arguments.isEmpty)
        #expect(plain.timeout == 30)
    }

    @Test func restartAndRunTakeTheSameAddressFlags() throws {
        let restart = try #require(try CCO.parseAsRoot(["daemon", "restart", "--port", "0"]) as? Daemon.Restart)
        #expect(restart.address.port == 0)
        let run = try #require(try CCO.parseAsRoot(["daemon", "run", "--host", "127.0.0.2"]) as? Daemon.Run)
        #expect(run.address.host == "127.0.0.2")
    }

    @Test func stopTimeoutDefaultsToTenSecondsAndMustBePositive() throws {
        let stop = try #require(try CCO.parseAsRoot(["daemon", "stop"]) as? Daemon.Stop)
        #expect(stop.timeout == 10)
        #expect(throws: (any Error).self) { try CCO.parseAsRoot(["daemon", "stop", "--timeout", "0"]) }
    }

    @Test func statusJSONFlag() throws {
        let status = try #require(try CCO.parseAsRoot(["daemon", "status", "--json"]) as? Daemon.Status)
        #expect(status.json)
    }

    @Test func configSubcommands() throws {
        let set = try #require(try CCO.parseAsRoot(["config", "set", "port", "8080"]) as? Config.Set)
        #expect(set.key == "port" && set.value == "8080")
        let validate = try #require(try CCO.parseAsRoot(["config", "validate", "/tmp/x.toml"]) as? Config.Validate)
        #expect(validate.file == "/tmp/x.toml")
        #expect(try CCO.parseAsRoot(["config", "path"]) is Config.Path)
        #expect(try CCO.parseAsRoot(["config", "show"]) is Config.Show)
        #expect(try CCO.parseAsRoot(["config", "get", "host"]) is Config.Get)
    }

    @Test func runIsHiddenFromHelp() {
        let help = Daemon.helpMessage(columns: 100)
        #expect(help.contains("start"))
        #expect(help.contains("status"))
        #expect(!help.contains("  run "))
    }

    @Test func exitCodesFollowLSBAndSysexits() {
        #expect(ExitCode(DaemonError.Code.config) == ExitCode(78))
        #expect(ExitCode(DaemonError.Code.alreadyRunning) == ExitCode(75))
        #expect(ExitCode(DaemonError.Code.addressInUse) == .failure)
        #expect(ExitCode.notRunning.rawValue == 3)
        #expect(ExitCode.deadWithPIDFile.rawValue == 1)
    }

    @Test(arguments: [(Duration.microseconds(400), "0.4 ms"), (.milliseconds(21), "21 ms"), (.milliseconds(1234), "1.2 s")])
    func durationsReadShort(duration: Duration, text: String) {
        #expect(duration.shortText == text)
    }

    @Test func statsTakesAGroupingAFilterAndAFormat() throws {
        let stats = try #require(try CCO.parseAsRoot(["stats", "--group-by", "project", "--since", "2026-12-01", "--project", "beta", "--format", "csv"]) as? Stats)
        #expect(stats.groupBy == .project)
        #expect(stats.output.chosen == .csv)
        let filter = try stats.scope.filter()
        #expect(filter.project == "beta" && filter.sinceMilliseconds == StatsFilter.moment("2026-12-01"))
        #expect(try #require(try CCO.parseAsRoot(["stats", "--json"]) as? Stats).output.chosen == .json)
        let sessions = try #require(try CCO.parseAsRoot(["stats", "sessions", "--limit", "5"]) as? Stats.Sessions)
        #expect(sessions.limit == 5)
    }

    @Test(arguments: [["stats", "--group-by", "week"], ["stats", "--since", "yesterday"], ["stats", "--json", "--format", "csv"],
                      ["stats", "sessions", "--limit", "0"], ["pricing", "update"]])
    func badStatsAndPricingArgumentsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try CCO.parseAsRoot(arguments) }
    }

    @Test func pricesPrintWithTheirOwnDecimals() {
        #expect(PricingText.number(3) == "3")
        #expect(PricingText.number(0.3) == "0.3")
        #expect(PricingText.number(6.25) == "6.25")
        #expect(PricingText.number(0.000001) == "0.000001")
    }

    @Test func csvQuotesOnlyWhatNeedsIt() {
        #expect(StatsText.csvField("beta") == "beta")
        #expect(StatsText.csvField("a,b") == "\"a,b\"")
        #expect(StatsText.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    @Test func aReportSaysItsRangeOrItsSince() {
        let now = WallClock.nowMilliseconds()
        for range in StatsRange.allCases {
            let report = StatsReport(range: range, groupBy: .model, sinceMilliseconds: range.start(nowMilliseconds: now), groups: [])
            #expect(StatsText.scope(report).hasPrefix("\(range.rawValue) (since "), "\(range)")
        }
        var since = StatsReport(filter: StatsFilter(range: .today, sinceMilliseconds: now - 3 * 86_400_000, session: "s1"), groupBy: .model, nowMilliseconds: now, groups: [])
        since.untilMilliseconds = now
        #expect(StatsText.scope(since).hasPrefix("since "))
        #expect(StatsText.scope(since).hasSuffix(", session s1"))
    }
}
