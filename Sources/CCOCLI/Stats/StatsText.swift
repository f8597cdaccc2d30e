#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOAnalytics
import CCOCore

/// The text and CSV forms of stats reports and session lists.
enum StatsText {
    static func render(_ report: StatsReport, source: String) -> String {
        let t = report.totals
        var text = "\(scope(report)): "
        text += "\(t.requests) \(plural(t.requests, "request")), \(t.cacheHits) cache \(plural(t.cacheHits, "hit")), \(t.errors) \(plural(t.errors, "error"))"
        if t.incomplete > 0 { text += ", \(t.incomplete) \(plural(t.incomplete, "stream")) cut short" }
        text += "\ncost \(dollars(t.costUSD)) upstream, \(dollars(t.savedUSD)) saved by the cache"
        if t.unpriced > 0 { text += " (\(t.unpriced) calls to models without a price are not counted; `cco pricing show MODEL` says why)" }
        text += "\n"
        text += "tokens billed: \(t.inputTokens) input, \(t.outputTokens) output, \(t.cacheReadTokens) cache read, "
        text += "\(t.cacheWriteTokens) cache write (5 min), \(t.cacheWrite1hTokens) cache write (1 h)"
        if t.webSearchRequests > 0 { text += "; \(t.webSearchRequests) web \(plural(t.webSearchRequests, "search", "searches"))" }
        text += "\n"
        if let limits = report.rateLimits, !limits.isEmpty {
            let at = report.rateLimitsAtMilliseconds.map { " at \(localTime($0))" } ?? ""
            text += "upstream rate limits\(at): " + limits.sorted { $0.key < $1.key }.map { "\($0.key) \(rateLimitValue($0.key, $0.value))" }.joined(separator: ", ") + "\n"
        }
        if !report.groups.isEmpty {
            let header = [report.groupBy.rawValue.uppercased(), "REQUESTS", "HITS", "INPUT", "OUTPUT", "CACHE READ", "WRITE 5M", "WRITE 1H", "COST", "SAVED"]
            let rows = report.groups.map { g in
                [g.key, "\(g.totals.requests)", "\(g.totals.cacheHits)", "\(g.totals.inputTokens)", "\(g.totals.outputTokens)",
                 "\(g.totals.cacheReadTokens)", "\(g.totals.cacheWriteTokens)", "\(g.totals.cacheWrite1hTokens)",
                 dollars(g.totals.costUSD), dollars(g.totals.savedUSD)]
            }
            text += "\n" + columns(header, rows)
        }
        text += "\nfrom \(source)\n"
        return text
    }

    static func render(_ list: SessionList, source: String) -> String {
        var text = "sessions since \(localTime(list.sinceMilliseconds)), the most recent first\n"
        if list.sessions.isEmpty { return text + "none\n\nfrom \(source)\n" }
        let rows = list.sessions.map { s in
            [s.session, s.project ?? "-", localTime(s.firstMilliseconds), localTime(s.lastMilliseconds), s.models.joined(separator: " "),
             "\(s.calls)", dollars(s.costUSD) + (s.unpriced > 0 ? " +\(s.unpriced) unpriced" : "")]
        }
        return text + "\n" + columns(["SESSION", "PROJECT", "FIRST CALL", "LAST CALL", "MODELS", "CALLS", "COST"], rows, rightAligned: [5, 6])
            + "\nfrom \(source)\n"
    }

    static func csv(_ report: StatsReport) -> String {
        var lines = [[report.groupBy.rawValue, "requests", "cache_hits", "errors", "input_tokens", "output_tokens", "cache_read_tokens",
                      "cache_write_tokens", "cache_write_1h_tokens", "web_search_requests", "incomplete", "cost_usd", "saved_usd", "unpriced"]]
        for g in report.groups {
            let t = g.totals
            lines.append([g.key, "\(t.requests)", "\(t.cacheHits)", "\(t.errors)", "\(t.inputTokens)", "\(t.outputTokens)", "\(t.cacheReadTokens)",
                          "\(t.cacheWriteTokens)", "\(t.cacheWrite1hTokens)", "\(t.webSearchRequests)", "\(t.incomplete)",
                          "\(t.costUSD)", "\(t.savedUSD)", "\(t.unpriced)"])
        }
        return lines.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func csv(_ list: SessionList) -> String {
        var lines = [["session", "project", "first_ms", "last_ms", "models", "calls", "cost_usd", "unpriced"]]
        for s in list.sessions {
            lines.append([s.session, s.project ?? "", "\(s.firstMilliseconds)", "\(s.lastMilliseconds)", s.models.joined(separator: " "),
                          "\(s.calls)", "\(s.costUSD)", "\(s.unpriced)"])
        }
        return lines.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }

    static func scope(_ report: StatsReport) -> String {
        // The range's own start (a minute's leeway: the report was made a moment ago), or --since's.
        let fromRange = abs(report.range.start(nowMilliseconds: WallClock.nowMilliseconds()) - report.sinceMilliseconds) < 60_000
        var text = fromRange ? "\(report.range.rawValue) (since \(localTime(report.sinceMilliseconds)))" : "since \(localTime(report.sinceMilliseconds))"
        if let until = report.untilMilliseconds { text += " until \(localTime(until))" }
        if let session = report.session { text += ", session \(session)" }
        if let project = report.project { text += ", project \(project)" }
        return text
    }

    /// A reset given in seconds since the epoch is shown as a local time.
    static func rateLimitValue(_ name: String, _ value: String) -> String {
        if name.hasSuffix("reset"), let seconds = Int64(value), seconds > 1_000_000_000 { return localTime(seconds * 1000) }
        return value
    }

    /// `$0.0123`: four decimals, enough for single calls that cost fractions of a cent.
    static func dollars(_ value: Double) -> String {
        let tenThousandths = Int((value * 10_000).rounded())
        let fraction = String(tenThousandths % 10_000)
        return "$\(tenThousandths / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }

    static func localTime(_ milliseconds: Int64) -> String {
        guard milliseconds > 0 else { return "the first record" }
        return LocalTime.minute(milliseconds)
    }

    /// Columns padded to their widest cell: those in `rightAligned` (by default all but the first,
    /// for tables of numbers) on the right.
    static func columns(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>? = nil) -> String {
        let rightAligned = rightAligned ?? Set(header.indices.dropFirst())
        let table = [header] + rows
        var widths: [Int] = []
        for column in header.indices {
            var width = 0
            for row in table { width = max(width, row[column].count) }
            widths.append(width)
        }
        var text = ""
        for row in table {
            var cells: [String] = []
            for (column, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                cells.append(rightAligned.contains(column) ? pad + cell : cell + pad)
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }

    private static func plural(_ n: Int, _ word: String, _ plural: String? = nil) -> String { n == 1 ? word : plural ?? word + "s" }
}
