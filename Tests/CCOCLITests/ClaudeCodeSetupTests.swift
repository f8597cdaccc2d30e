import Testing
@testable import CCOCLI
import CCOAnalytics
import CCOCore

@Suite struct ClaudeCodeSetupTests {
    let url = "http://127.0.0.1:3000"
    let command = "/home/ana/.local/bin/cco statusline"

    @Test func aMissingFileGetsBothKeys() throws {
        let edit = try ClaudeSettings.edit(nil, baseURL: url, statusCommand: command)
        #expect(edit.text == """
            {
              "env": {
                "ANTHROPIC_BASE_URL": "http://127.0.0.1:3000"
              },
              "statusLine": {
                "type": "command",
                "command": "/home/ana/.local/bin/cco statusline"
              }
            }

            """)
        #expect(edit.changes.map(\.key) == ["env.ANTHROPIC_BASE_URL", "statusLine"])
    }

    @Test func everyOtherKeyStaysInItsPlaceWithItsSpelling() throws {
        let current = """
            {
              "model": "opus",
              "env": {"FOO": "a\\"b", "ANTHROPIC_BASE_URL": "https://api.example"},
              "permissions": {"allow": ["Bash(ls:*)"], "deny": []},
              "cleanupPeriodDays": 1.50,
              "statusLine": {"type": "command", "command": "~/bin/mine", "padding": 0},
              "emoji": "\\ud83d\\ude00 é"
            }
            """
        let edit = try ClaudeSettings.edit(current, baseURL: url, statusCommand: command)
        let parsed = try OrderedJSON.parse(edit.text)
        guard case .object(let members) = parsed else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["model", "env", "permissions", "cleanupPeriodDays", "statusLine", "emoji"])
        #expect(edit.text.contains("\"cleanupPeriodDays\": 1.50"))
        #expect(parsed["env"]?["FOO"]?.stringValue == "a\"b")
        #expect(parsed["emoji"]?.stringValue == "😀 é")
        #expect(parsed["statusLine"]?["padding"] == .number("0"))
        #expect(edit.changes == [
            .init(key: "env.ANTHROPIC_BASE_URL", old: "\"https://api.example\"", new: "\"http://127.0.0.1:3000\""),
            .init(key: "statusLine.command", old: "\"~/bin/mine\"", new: "\"/home/ana/.local/bin/cco statusline\""),
        ])
        let again = try ClaudeSettings.edit(edit.text, baseURL: url, statusCommand: command)
        #expect(again.changes.isEmpty, "a second run changes nothing")
    }

    @Test(arguments: ["{\"a\": 1,}", "{\"a\": 1", "[1, 2]", "{\"env\": \"x\"}", "{\"a\" 1}", "\u{1}"])
    func aFileThatIsNotASettingsObjectIsRefused(text: String) {
        #expect(throws: (any Error).self) { try ClaudeSettings.edit(text, baseURL: url, statusCommand: command) }
    }

    @Test func theDiffShowsOnlyWhatChanges() {
        let diff = ClaudeSettings.diff("{\n  \"a\": 1,\n  \"b\": 2\n}\n", "{\n  \"a\": 1,\n  \"b\": 3\n}\n", oldName: "old", newName: "new")
        #expect(diff == "--- old\n+++ new\n {\n   \"a\": 1,\n-  \"b\": 2\n+  \"b\": 3\n }\n")
    }
}

@Suite struct StatuslineTests {
    func report(today: Double = 3.1, budgets: [BudgetStatus] = [], session: Double? = 0.42, share: Double? = 0.87) -> BudgetReport {
        var figures: BudgetReport.SessionFigures?
        if let session {
            var totals = StatsTotals()
            totals.costUSD = session
            totals.cacheReadTokens = Int((share ?? 0) * 1000)
            totals.inputTokens = 1000 - totals.cacheReadTokens
            figures = .init(id: "s1", totals: totals)
        }
        return BudgetReport(budgets: budgets, warnAt: 0.8, todayUSD: today, monthUSD: 20, session: figures, rateLimits: ["5h-utilization": "0.42"])
    }

    @Test func theLineShowsSessionTodayBudgetCacheAndFiveHourUse() {
        let daily = BudgetStatus(budget: .init(period: .daily), limitUSD: 10, spentUSD: 3.1, resetsAtMilliseconds: 0, session: nil)
        let line = Statusline.render(report(budgets: [daily]), model: "Opus 4.7", colors: false)
        #expect(line == "Opus 4.7 · cco $0.42 session · $3.10 today · $6.90 left today · cache 87% · 5h 42%")
    }

    @Test func theTightestBudgetIsShownAndColouredByHowMuchIsSpent() {
        let daily = BudgetStatus(budget: .init(period: .daily), limitUSD: 10, spentUSD: 9, resetsAtMilliseconds: 0, session: nil)
        let monthly = BudgetStatus(budget: .init(period: .monthly), limitUSD: 100, spentUSD: 20, resetsAtMilliseconds: 0, session: nil)
        let warned = Statusline.render(report(budgets: [monthly, daily]), model: nil, colors: true)
        #expect(warned.contains("\u{1B}[33m$1.00 left today\u{1B}[0m"), "\(warned)")
        let spent = BudgetStatus(budget: .init(period: .session), limitUSD: 0.4, spentUSD: 0.42, resetsAtMilliseconds: nil, session: "s1")
        let line = Statusline.render(report(budgets: [daily, spent]), model: nil, colors: false)
        #expect(line.contains("budget spent (session)") && !line.contains("\u{1B}"))
    }

    @Test func withNoSessionItShowsTheDay() {
        #expect(Statusline.render(report(session: nil), model: nil, colors: false) == "cco $3.10 today · 5h 42%")
    }

    @Test func withNoDaemonItSaysSoInOneLine() {
        let line = Statusline.line(input: nil, environment: ["CCO_HOME": "/nonexistent/cco-statusline-test", "HOME": "/nonexistent"])
        #expect(line == "cco: daemon not running (cco daemon start)")
    }
}
