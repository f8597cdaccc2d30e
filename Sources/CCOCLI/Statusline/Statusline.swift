#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOAnalytics
import CCOCore

/// `cco statusline`: the line Claude Code shows under its prompt (`statusLine` in settings.json).
/// It never fails: whatever goes wrong, it prints a short line and exits 0.
struct Statusline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one status line for Claude Code: session cost, today's cost, budget left, cache reads.",
        discussion: """
            Claude Code runs it with its status JSON on stdin (session_id, model, cost, …); \
            `cco setup claude-code` configures that. It asks the running daemon (GET /api/budget) and \
            always exits 0. Colours unless NO_COLOR is set.
            """)

    /// What cco reads of the JSON Claude Code pipes in.
    struct Input: Decodable {
        struct Model: Decodable { var display_name: String? }
        var session_id: String?
        var model: Model?
    }

    func run() {
        let environment = ProcessEnvironment.current()
        let input = Self.readInput()
        Terminal.out(Self.line(input: input, environment: environment))
    }

    /// Stdin, when it is not a terminal (someone typing `cco statusline` by hand gets no wait).
    static func readInput() -> Input? {
        guard system_isatty(STDIN_FILENO) != 1 else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { system_read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return try? JSONDecoder().decode(Input.self, from: Data(bytes))
    }

    static func line(input: Input?, environment: [String: String]) -> String {
        let colors = environment["NO_COLOR"].map(\.isEmpty) ?? true
        let session = input?.session_id.flatMap { $0.isEmpty ? nil : $0 }
        guard let paths = try? CCOPaths.resolve(environment: environment) else { return "cco: no state directory (set HOME or CCO_HOME)" }
        guard case .running(let record) = DaemonStatus.read(paths) else { return "cco: daemon not running (cco daemon start)" }
        let path = "/api/budget" + (session.map { "?session=" + StatsSource.percentEncoded($0) } ?? "")
        guard case .success(let reply) = LoopbackHTTPClient.get(host: record.host, port: record.port, path: path, timeout: .milliseconds(500)),
              reply.status == 200, let report = try? BudgetReport(json: Array(reply.body.utf8)) else {
            return "cco: daemon not answering on port \(record.port) (cco daemon status)"
        }
        return render(report, model: input?.model?.display_name, colors: colors)
    }

    /// `cco $0.42 session · $3.10 today · $6.90 left today · cache 87% · 5h 42%`
    static func render(_ report: BudgetReport, model: String?, colors: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var parts: [String] = []
        if let session = report.session { parts.append("\(USD.text(session.costUSD)) session") }
        parts.append("\(USD.text(report.todayUSD)) today")
        // The budget closest to its limit, of those that apply to every call of this session.
        let applying = report.budgets.filter { $0.project == nil && ($0.period != "session" || $0.session != nil) }
        if let tightest = applying.min(by: { $0.leftUSD / max($0.limitUSD, 1e-9) < $1.leftUSD / max($1.limitUSD, 1e-9) }) {
            let label = tightest.period == "daily" ? "today" : tightest.period == "monthly" ? "this month" : "this session"
            let text = tightest.isSpent ? "budget spent (\(tightest.period))" : "\(USD.text(tightest.leftUSD)) left \(label)"
            let share = tightest.limitUSD > 0 ? tightest.spentUSD / tightest.limitUSD : 1
            parts.append(paint(text, tightest.isSpent ? "31" : share >= report.warnAt ? "33" : "32"))
        }
        if let share = report.session?.cacheReadShare { parts.append("cache \(Int((share * 100).rounded()))%") }
        if let utilization = report.rateLimits?["5h-utilization"].flatMap(Double.init) {
            parts.append("5h \(Int((utilization * 100).rounded()))%")
        }
        return (model.map { "\($0) · " } ?? "") + "cco " + parts.joined(separator: " · ")
    }
}
