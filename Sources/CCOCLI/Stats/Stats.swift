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
            with no daemon running, reads the database named by `database_url`. Both give the same numbers.
            """,
        subcommands: [Sessions.self])

    @OptionGroup var scope: StatsScope

    @Option(name: .customLong("group-by"), help: "model, day, session, project, agent or client.")
    var groupBy: StatsGrouping = .model

    @OptionGroup var output: StatsOutput

    func run() throws {
        let environment = try CommandEnvironment.current()
        let filter = try scope.filter()
        let path = "/api/stats?" + StatsSource.query(filter.queryItems + [("group_by", groupBy.rawValue)])
        let (report, source) = try StatsSource.read(environment, path: path, decode: StatsReport.init(json:)) { store, now in
            try store.stats(filter, groupBy: groupBy, nowMilliseconds: now)
        } empty: { now in
            StatsReport(filter: filter, groupBy: groupBy, nowMilliseconds: now, groups: [])
        }
        switch output.chosen {
        case .json: Terminal.writeBytes(STDOUT_FILENO, report.json())
        case .csv: Terminal.write(STDOUT_FILENO, StatsText.csv(report))
        case .table: Terminal.write(STDOUT_FILENO, StatsText.render(report, source: source))
        }
    }
}

extension Stats {
    /// `cco stats sessions`: recent Claude Code sessions.
    struct Sessions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List recent Claude Code sessions: project, first and last call, models, calls and cost.")

        @OptionGroup var scope: StatsScope

        @Option(help: "The most sessions to list, the most recent first.")
        var limit = 20

        @OptionGroup var output: StatsOutput

        func validate() throws {
            guard (1 ... 10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
        }

        func run() throws {
            let environment = try CommandEnvironment.current()
            let filter = try scope.filter()
            let path = "/api/sessions?" + StatsSource.query(filter.queryItems + [("limit", String(limit))])
            let (list, source) = try StatsSource.read(environment, path: path, decode: SessionList.init(json:)) { store, now in
                try store.sessions(filter, limit: limit, nowMilliseconds: now)
            } empty: { now in
                SessionList(sinceMilliseconds: filter.start(nowMilliseconds: now), sessions: [])
            }
            switch output.chosen {
            case .json: Terminal.writeBytes(STDOUT_FILENO, list.json())
            case .csv: Terminal.write(STDOUT_FILENO, StatsText.csv(list))
            case .table: Terminal.write(STDOUT_FILENO, StatsText.render(list, source: source))
            }
        }
    }
}

/// Which calls: `--range` or `--since/--until`, and one `--session`, `--project` or `--model`.
struct StatsScope: ParsableArguments {
    @Option(help: "today (since local midnight), week (last 7 days), month (last 30 days) or all.")
    var range: StatsRange = .today

    @Option(help: "From this local date or time (2026-12-01, 2026-12-01T09:30); replaces --range's start.")
    var since: String?

    @Option(help: "Before this local date or time.")
    var until: String?

    @Option(help: "Only the calls of this Claude Code session (X-Claude-Code-Session-Id).")
    var session: String?

    @Option(help: "Only the calls of this project (as `--group-by project` names it).")
    var project: String?

    @Option(help: "Only the calls of this model (as `--group-by model` names it).")
    var model: String?

    func validate() throws { _ = try filter() }

    func filter() throws -> StatsFilter {
        var parameters = ["range": range.rawValue]
        parameters["since"] = since
        parameters["until"] = until
        parameters["session"] = session
        parameters["project"] = project
        parameters["model"] = model
        do {
            return try StatsFilter(parameters: parameters)
        } catch {
            throw ValidationError("--" + error.message)
        }
    }
}

struct StatsOutput: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Option(help: "table, json (exactly what the daemon's API returns) or csv.")
    var format: Format = .table

    @Flag(help: "The same as --format json.")
    var json = false

    func validate() throws {
        if json && format != .table && format != .json { throw ValidationError("--json and --format \(format.rawValue) ask for different formats") }
    }
}

extension StatsOutput {
    var chosen: Format { json ? .json : format }
}

extension StatsRange: ExpressibleByArgument {}
extension StatsGrouping: ExpressibleByArgument {}

/// Where the figures come from: the running daemon's API or, with none, the database file. Both
/// run the same queries, so they give the same numbers.
enum StatsSource {
    static func query(_ items: [(String, String)]) -> String {
        items.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) { result.append(c) } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return result
    }

    static func read<T>(_ environment: CommandEnvironment, path: String, decode: ([UInt8]) throws -> T,
                        fromFile: (AnalyticsStore, Int64) throws -> T, empty: (Int64) -> T) throws -> (T, String) {
        if case .running(let record) = DaemonStatus.read(environment.paths) {
            switch LoopbackHTTPClient.get(host: record.host, port: record.port, path: path, timeout: .seconds(10)) {
            case .success(let reply) where reply.status == 200:
                do {
                    return (try decode(Array(reply.body.utf8)), "the running daemon (pid \(record.pid))")
                } catch {
                    throw failure("the daemon (pid \(record.pid)) answered \(path) with something cco cannot read: \(error)")
                }
            case .success(let reply):
                throw failure("the daemon (pid \(record.pid)) answered \(path) with HTTP \(reply.status): \(reply.body.prefix(300))")
            case .failure(let reason):
                throw failure("the daemon (pid \(record.pid)) does not answer on port \(record.port): \(reason); see cco daemon status")
            }
        }
        let config = try environment.loadConfig()
        guard let location = DatabaseLocation(url: config.databaseURL), location != .memory else {
            throw failure("no daemon runs and `database_url` = \"\(config.databaseURL)\" keeps analytics in memory only: start the daemon (cco daemon start) to see its figures")
        }
        let file = location.path(in: environment.paths)
        let now = WallClock.nowMilliseconds()
        guard FileSystem.exists(file) else {
            Terminal.error("note: \(file) does not exist yet; the daemon creates it when it starts")
            return (empty(now), file)
        }
        do {
            return (try fromFile(try AnalyticsStore(readingExisting: file), now), file)
        } catch {
            throw failure("cannot read the analytics database \(file): \(error); check `database_url` in \(environment.paths.configFile)")
        }
    }
}
