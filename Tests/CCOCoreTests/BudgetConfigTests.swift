import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct BudgetConfigTests {
    let file = "/home/ana/.cco/config.toml"

    @Test func readsEveryBudgetAndProjectTable() throws {
        let config = try DaemonConfig.parse("""
            port = 3000
            [budget]
            daily_usd = 20
            monthly_usd = 300.5
            session_usd = 5
            warn_at = 0.9
            notify = false

            [budget.project."billing-api"]
            daily_usd = 5
            [budget.project.web]
            monthly_usd = 40
            """, file: file)
        #expect(config.budget.dailyUSD == 20 && config.budget.monthlyUSD == 300.5 && config.budget.sessionUSD == 5)
        #expect(config.budget.warnAt == 0.9 && !config.budget.notify)
        #expect(config.budget.projects == ["billing-api": .init(dailyUSD: 5), "web": .init(monthlyUSD: 40)])
        #expect(config.budget.limits.map(\.budget.label) == ["daily", "monthly", "session", "project:billing-api:daily", "project:web:monthly"])
    }

    @Test func noBudgetTableMeansNoLimits() throws {
        let config = try DaemonConfig.parse("port = 3000\n", file: file)
        #expect(!config.budget.hasLimits && config.budget.warnAt == 0.8 && config.budget.notify)
    }

    @Test(arguments: [
        ("[budget]\ndaily_usd = -1\n", 2, "budget.daily_usd", "must be an amount in US dollars from 0 up, e.g. 20 or 7.5, found -1"),
        ("[budget]\nmonthly_usd = \"lots\"\n", 2, "budget.monthly_usd", "found \"lots\""),
        ("port = 1\n[budget]\nwarn_at = 1.5\n", 3, "budget.warn_at", "above 0 and at most 1"),
        ("[budget]\ndayly_usd = 5\n", 2, "budget.dayly_usd", "did you mean `daily_usd`?"),
        ("[budget]\nnotify = 1\n", 2, "budget.notify", "must be true or false"),
        ("[budget.project.api]\nsession_usd = 1\n", 2, "budget.project.api.session_usd", "not a project budget key"),
        ("[budget.project.api]\ndaily_usd = -2\n", 2, "budget.project.api.daily_usd", "from 0 up"),
        ("analytics_retention_days = 7\n[budget]\nmonthly_usd = 5\n", 1, "analytics_retention_days", "set it to 31 or more (or 0)"),
    ])
    func aBadValueIsOneLineNamingFileLineAndKey(text: String, line: Int, key: String, message: String) {
        #expect {
            _ = try DaemonConfig.parse(text, file: file)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && error.key == key && error.message.contains(message) && !error.description.contains("\n")
                && error.description.hasPrefix("\(file):\(line): ")
        }
    }

    @Test func setAddsTheTableAndTheKeyKeepingComments() {
        let text = "# mine\nport = 3000 # the usual\n"
        let added = ConfigFile.setting("daily_usd", inTable: ["budget"], toTOML: "20", in: text)
        #expect(added == "# mine\nport = 3000 # the usual\n\n[budget]\ndaily_usd = 20\n")
        let second = ConfigFile.setting("session_usd", inTable: ["budget"], toTOML: "5", in: added)
        #expect(second == "# mine\nport = 3000 # the usual\n\n[budget]\ndaily_usd = 20\nsession_usd = 5\n")
        let replaced = ConfigFile.setting("daily_usd", inTable: ["budget"], toTOML: "7.5", in: second)
        #expect(replaced == "# mine\nport = 3000 # the usual\n\n[budget]\ndaily_usd = 7.5\nsession_usd = 5\n")
    }

    @Test func setWritesAProjectTableWithItsNameQuotedWhenNeeded() throws {
        let text = ConfigFile.setting("monthly_usd", inTable: ["budget", "project", "/home/ana/alpha"], toTOML: "50", in: "")
        #expect(text == "[budget.project.\"/home/ana/alpha\"]\nmonthly_usd = 50\n")
        let config = try DaemonConfig.parse(text, file: file)
        #expect(config.budget.projects["/home/ana/alpha"]?.monthlyUSD == 50)
    }

    @Test func clearRemovesTheKeyAndATableLeftEmpty() {
        let text = "[budget]\ndaily_usd = 20\n\n[budget.project.api]\ndaily_usd = 5\n\n[other]\nx = 1\n"
        let cleared = ConfigFile.setting("daily_usd", inTable: ["budget", "project", "api"], toTOML: nil, in: text)
        #expect(cleared == "[budget]\ndaily_usd = 20\n\n[other]\nx = 1\n")
        #expect(ConfigFile.setting("monthly_usd", inTable: ["budget"], toTOML: nil, in: text) == text)
    }

    @Test func theFileIsValidatedBeforeItIsReplaced() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/config.toml"
            writeFile(path, "analytics_retention_days = 7\n")
            #expect(throws: ConfigError.self) { try ConfigFile(path: path).set("monthly_usd", inTable: ["budget"], toTOML: "5") }
            #expect(readFile(path) == "analytics_retention_days = 7\n")
            try ConfigFile(path: path).set("daily_usd", inTable: ["budget"], toTOML: "5")
            #expect(try DaemonConfig.load(from: path).budget.dailyUSD == 5)
            #expect(fileMode(path) == 0o600)
        }
    }

    @Test func configShowRendersTheBudgetTables() throws {
        var config = DaemonConfig()
        config.budget.dailyUSD = 20
        config.budget.projects["a b"] = .init(monthlyUSD: 7.5)
        let text = config.renderTOML()
        #expect(text.hasSuffix("\n[budget]\ndaily_usd = 20\nwarn_at = 0.8\nnotify = true\n\n[budget.project.\"a b\"]\nmonthly_usd = 7.5\n"))
        #expect(try DaemonConfig.parse(text.replacing("    # default", with: ""), file: file).budget == config.budget)
    }
}
