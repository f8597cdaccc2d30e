#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ArgumentParser
import CCOAnalytics
import CCOCore

/// `cco stats`: what the gateway's calls cost, from the running daemon or, when none runs, from the
/// analytics database file.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show requests, tokens and cost recorded by the gateway.",
        discussion: """
            Asks the running daemon (GET /api/stats), which includes requests answered a moment ago; \
            with no daemon running, reads the database named by `database_url`.
            """)

    @Option(help: "today (since local midnight), week (last 7 days), month (last 30 days) or all.")
    var range: StatsRange = .today

    @Option(name: .customLong("group-by"), help: "model or day.")
    var groupBy: StatsGrouping = .model

    @Flag(help: "Print the report as JSON, exactly as GET /api/stats returns it.")
    var json = false

    func run() throws {
        let environment = try CommandEnvironment.current()
        let (report, source) = try gather(environment)
        if json {
            Terminal.writeBytes(STDOUT_FILENO, report.json())
        } else {
            Terminal.write(STDOUT_FILENO, StatsText.render(report, source: source))
        }
    }

    private func gather(_ environment: CommandEnvironment) throws -> (StatsReport, String) {
        if case .running(let record) = DaemonStatus.read(environment.paths) {
            let path = "/api/stats?range=\(range.rawValue)&group_by=\(groupBy.rawValue)"
            switch LoopbackHTTPClient.get(host: record.host, port: record.port, path: path, timeout: .seconds(10)) {
            case .success(let reply) where reply.status == 200:
                do {
                    return (try StatsReport(json: Array(reply.body.utf8)), "the running daemon (pid \(record.pid))")
                } catch {
                    throw failure("the daemon (pid \(record.pid)) answered /api/stats with something that is not a stats report: \(error)")
                }
            case .success(let reply):
                throw failure("the daemon (pid \(record.pid)) answered /api/stats with HTTP \(reply.status): \(reply.body.prefix(300))")
            case .failure(let reason):
                throw failure("the daemon (pid \(record.pid)) does not answer on port \(record.port): \(reason); see cco daemon status")
            }
        }
        let config = try environment.loadConfig()
        guard let location = DatabaseLocation(url: config.databaseURL), location != .memory else {
            throw failure("no daemon runs and `database_url` = \"\(config.databaseURL)\" keeps analytics in memory only: start the daemon (cco daemon start) to see its figures")
        }
        let path = location.path(in: environment.paths)
        let now = WallClock.nowMilliseconds()
        guard FileSystem.exists(path) else {
            Terminal.error("note: \(path) does not exist yet; the daemon creates it when it starts")
            return (StatsReport(range: range, groupBy: groupBy, sinceMilliseconds: range.start(nowMilliseconds: now), groups: []), path)
        }
        do {
            let store = try AnalyticsStore(readingExisting: path)
            return (try store.stats(range: range, groupBy: groupBy, nowMilliseconds: now), path)
        } catch {
            throw failure("cannot read the analytics database \(path): \(error); check `database_url` in \(environment.paths.configFile)")
        }
    }
}

extension StatsRange: ExpressibleByArgument {}
extension StatsGrouping: ExpressibleByArgument {}

/// The text form of a stats report: a summary, then one row per group.
enum StatsText {
    static func render(_ report: StatsReport, source: String) -> String {
        let t = report.totals
        var text = "\(report.range.rawValue) (since \(localTime(report.sinceMilliseconds))): "
        text += "\(t.requests) \(plural(t.requests, "request")), \(t.cacheHits) cache \(plural(t.cacheHits, "hit")), \(t.errors) \(plural(t.errors, "error"))\n"
        text += "cost \(dollars(t.costUSD)) upstream, \(dollars(t.savedUSD)) saved by the cache"
        if t.unpriced > 0 { text += " (\(t.unpriced) calls to models without a price are not counted; add them under [pricing])" }
        text += "\n"
        text += "tokens billed: \(t.inputTokens) input, \(t.outputTokens) output, \(t.cacheReadTokens) cache read, \(t.cacheWriteTokens) cache write\n"
        if !report.groups.isEmpty {
            let header = [report.groupBy == .model ? "MODEL" : "DAY", "REQUESTS", "HITS", "INPUT", "OUTPUT", "COST", "SAVED"]
            let rows = report.groups.map { g in
                [g.key, "\(g.totals.requests)", "\(g.totals.cacheHits)", "\(g.totals.inputTokens)", "\(g.totals.outputTokens)",
                 dollars(g.totals.costUSD), dollars(g.totals.savedUSD)]
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            text += "\n"
            for row in [header] + rows {
                text += row.enumerated().map { column, cell in
                    column == 0 ? cell.padding(to: widths[column]) : String(repeating: " ", count: widths[column] - cell.count) + cell
                }.joined(separator: "  ") + "\n"
            }
        }
        text += "\nfrom \(source)\n"
        return text
    }

    /// `$0.0123`: four decimals, enough for single calls that cost fractions of a cent.
    static func dollars(_ value: Double) -> String {
        let tenThousandths = Int((value * 10_000).rounded())
        let fraction = String(tenThousandths % 10_000)
        return "$\(tenThousandths / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }

    static func localTime(_ milliseconds: Int64) -> String {
        guard milliseconds > 0 else { return "the first record" }
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        system_localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }

    private static func plural(_ n: Int, _ word: String) -> String { n == 1 ? word : word + "s" }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
