public import CCOCore

/// How amounts and refusals read, the same in the gateway's answers and on the command line.
public enum USD {
    /// `$20.00`, `$0.42`; `$0.0042` for amounts under a cent, which two decimals would show as nothing.
    public static func text(_ usd: Double) -> String {
        let places = abs(usd) < 0.01 && usd != 0 ? 4 : 2
        let scale = places == 4 ? 10_000.0 : 100.0
        let units = Int64((abs(usd) * scale).rounded())
        let whole = units / Int64(scale), fraction = String(units % Int64(scale))
        return "\(usd < 0 ? "-" : "")$\(whole).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }
}

extension BudgetRefusal {
    /// What the client is told: the budget, what was spent, when it resets, how to raise it.
    public var message: String {
        let flag = budget.project.map { " --project \(Self.shellWord($0))" } ?? ""
        let raise = "raise it with `cco budget set \(budget.period.rawValue) AMOUNT\(flag)` or remove it with `cco budget clear \(budget.period.rawValue)\(flag)`"
        let spent = switch budget.period {
        case .session: "\(USD.text(spentUSD)) in this Claude Code session"
        case .daily: "\(USD.text(spentUSD)) today"
        case .monthly: "\(USD.text(spentUSD)) this month"
        }
        let reset = resetsAtMilliseconds.map { "it resets at \(LocalTime.minute($0))" } ?? "a session budget never resets: start a new session"
        return "cco: \(budget) of \(USD.text(limitUSD)) is spent (\(spent)); \(reset), or \(raise)"
    }

    static func shellWord(_ text: String) -> String {
        text.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) } ? text : "'" + text.replacing("'", with: "'\\''") + "'"
    }
}

extension BudgetCrossing {
    /// The warning's one line.
    public var message: String {
        let share = Int((spentUSD / limitUSD * 100).rounded(.down))
        return reachedLimit
            ? "budget: \(budget) of \(USD.text(limitUSD)) is spent (\(USD.text(spentUSD))); new calls are refused until it resets or is raised"
            : "budget: \(share)% of \(budget) of \(USD.text(limitUSD)) is spent (\(USD.text(spentUSD)))"
    }
}
