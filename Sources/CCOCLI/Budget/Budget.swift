#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ArgumentParser
import CCOAnalytics
import CCOCore
import CCOSupervisor

/// `cco budget`: spending caps the gateway enforces.
struct Budget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the spending budgets: limit, spent, left, and when each resets.",
        discussion: """
            Budgets live in the [budget] table of config.toml. Once one is spent, the gateway answers \
            new /v1/messages calls with an error that names it, without calling the upstream; streams \
            already running finish. Asks the running daemon (GET /api/budget); with none, reads the database.
            """,
        subcommands: [Set.self, Clear.self])

    @Option(help: "Also show what this Claude Code session has spent against session_usd.")
    var session: String?

    @Flag(help: "Print one JSON object (what GET /api/budget returns).")
    var json = false

    func run() throws {
        let environment = try CommandEnvironment.current()
        let config = try environment.loadConfig()
        let path = "/api/budget" + (session.map { "?session=" + StatsSource.percentEncoded($0) } ?? "")
        let (report, source) = try StatsSource.read(environment, path: path, decode: BudgetReport.init(json:)) { store, now in
            try store.budgetReport(config.budget, session: session, nowMilliseconds: now)
        } empty: { now in
            let ledger = BudgetLedger(config: config.budget, nowMilliseconds: now)
            return BudgetReport(budgets: ledger.statuses(session: session, nowMilliseconds: now), warnAt: config.budget.warnAt,
                                todayUSD: 0, monthUSD: 0, session: nil, rateLimits: nil)
        }
        if json {
            Terminal.writeBytes(STDOUT_FILENO, report.json())
            return
        }
        Terminal.write(STDOUT_FILENO, Self.render(report, source: source, configFile: environment.paths.configFile))
    }

    static func render(_ report: BudgetReport, source: String, configFile: String) -> String {
        var text = "spent today \(USD.text(report.todayUSD)), this month \(USD.text(report.monthUSD))\n\n"
        guard !report.budgets.isEmpty else {
            return text + "no budget is set; set one with `cco budget set daily|monthly|session AMOUNT [--project NAME]` ([budget] in \(configFile))\n\nfrom \(source)\n"
        }
        let rows = report.budgets.map { status -> [String] in
            let name = status.project.map { "\(status.period) (project \($0))" } ?? status.period
            let share = status.limitUSD > 0 ? Int((status.spentUSD / status.limitUSD * 100).rounded(.down)) : 100
            let perSession = status.period == "session" && status.session == nil
            let state = perSession ? "-" : status.isSpent ? "spent: calls are refused" : share >= Int(report.warnAt * 100) ? "\(share)%: warned" : "\(share)%"
            let resets = status.resetsAt ?? (status.session.map { "never (session \($0.prefix(8)))" } ?? "never (per session)")
            return [name, USD.text(status.limitUSD), perSession ? "-" : USD.text(status.spentUSD), perSession ? "-" : USD.text(status.leftUSD), resets, state]
        }
        let table = StatsText.columns(["BUDGET", "LIMIT", "SPENT", "LEFT", "RESETS AT", "STATE"], rows, rightAligned: [1, 2, 3])
        text += table.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
        if report.budgets.contains(where: { $0.period == "session" && $0.session == nil }) {
            text += "\nsession spend is per Claude Code session: `cco budget --session ID` (`cco stats sessions` lists them)\n"
        }
        return text + "\nfrom \(source)\n"
    }
}

extension Budget {
    /// `daily`, `monthly` or `session`, as the set and clear commands take it.
    struct Which: ParsableArguments {
        @Argument(help: "daily (calendar day, local time), monthly (calendar month) or session (one Claude Code session).")
        var period: BudgetPeriod

        @Option(help: "The budget of this project only (as `cco stats --group-by project` names it); daily or monthly.")
        var project: String?

        func validate() throws {
            if project != nil, period == .session { throw ValidationError("a session budget covers every project; drop --project") }
            if let project, project.isEmpty { throw ValidationError("--project needs a name") }
        }

        var budget: BudgetName { BudgetName(period: period, project: project) }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a budget in config.toml (atomically, comments kept) and apply it to a running daemon.")

        @OptionGroup var which: Which

        @Argument(help: "US dollars, e.g. 20 or 7.50.")
        var amount: String

        func run() throws {
            let text = amount.hasPrefix("$") ? String(amount.dropFirst()) : amount
            guard let usd = Double(text), usd.isFinite, usd >= 0 else {
                throw failure("the amount must be US dollars from 0 up, e.g. 20 or 7.50, found \"\(amount)\"")
            }
            try Budget.change(which.budget, to: usd)
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a budget from config.toml and apply that to a running daemon.")

        @OptionGroup var which: Which

        func run() throws {
            try Budget.change(which.budget, to: nil)
        }
    }

    /// Writes the budget's key (or removes it), then has a running daemon reload.
    static func change(_ budget: BudgetName, to usd: Double?) throws {
        let environment = try CommandEnvironment.current()
        let file = ConfigFile(path: environment.paths.configFile)
        let before = try environment.loadConfig().budget.limit(of: budget)
        do {
            try FileSystem.makeDirectory(environment.paths.stateDirectory, mode: 0o700)
            try file.set(budget.period.key, inTable: budget.tablePath, toTOML: usd.map(BudgetConfig.amount))
        } catch let error as ConfigError {
            throw failure(error)
        } catch {
            throw failure("\(error)")
        }
        switch (before, usd) {
        case (nil, nil):
            Terminal.out("unchanged: \(budget) is not set in \(file.path)")
            return
        case (let old?, let new?) where old == new:
            Terminal.out("unchanged: \(budget) is \(USD.text(new)) in \(file.path)")
            return
        case (_, let new?):
            Terminal.out("\(budget): \(USD.text(new)) (\(budget.tableHeader) \(budget.period.key) in \(file.path))")
        case (_, nil):
            Terminal.out("\(budget) removed from \(file.path)")
        }
        guard let outcome = try Daemon.Reload.ifRunning(environment, noneRunning: "no daemon runs; it applies the budget from its next start") else { return }
        switch outcome {
        case .reloaded(_, let pid, let status) where status.contains("reload refused"):
            throw failure("the running daemon (pid \(pid)) refused the new config: \(status)")
        case .reloaded(_, let pid, _):
            Terminal.out("the running daemon (pid \(pid)) applies it from the next call")
        case .requested(let pid):
            Terminal.out("reload requested (pid \(pid)); `cco daemon logs` shows the outcome")
        }
    }
}

extension BudgetPeriod: ExpressibleByArgument {}
