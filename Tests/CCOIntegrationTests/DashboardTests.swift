import AsyncHTTPClient
import CCOAnalytics
import CCOCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import Testing

/// The dashboard at `/`, in a real headless Chromium, served by the real daemon in front of
/// FakeUpstream, with Claude Code-shaped calls (streamed, session and agent headers, prompt-cache
/// usage) and thirty days of history written to the analytics database before the daemon starts.
@Suite struct DashboardTests {
    static let browserMissing: Comment = "chromium is not installed (scripts/deps installs it)"

    /// Where screenshots go: `docs/dashboard` with CCO_UPDATE_SCREENSHOTS=1, else a temporary directory.
    static let screenshots: String = {
        if ProcessInfo.processInfo.environment["CCO_UPDATE_SCREENSHOTS"] == "1" {
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0 ..< 3 { url.deleteLastPathComponent() }
            return url.appendingPathComponent("docs/dashboard").path
        }
        return FileManager.default.temporaryDirectory.appendingPathComponent("cco-screenshots").path
    }()

    static let models = ["claude-opus-4-7", "claude-sonnet-4-5", "claude-haiku-4-5"]

    /// Thirty days of calls in three sessions of two projects, as Claude Code makes them, written
    /// straight to the database the daemon then opens.
    static func seed(_ path: String) throws {
        let store = try AnalyticsStore(path: path)
        let now = WallClock.nowMilliseconds()
        var records: [RequestRecord] = []
        for day in stride(from: 29, through: 1, by: -1) {
            for index in 0 ..< (day % 5 + 2) {
                let model = models[(day + index) % 3]
                var record = RequestRecord(
                    timestampMilliseconds: now - Int64(day) * 86_400_000 + Int64(index) * 600_000, route: "/v1/messages", model: model,
                    status: 200, latencyMilliseconds: Double(2_000 + 900 * index),
                    usage: TokenUsage(input: 40 + day * 7, output: 300 + 41 * index, cacheRead: 20_000 + 1_000 * day, cacheWrite: 1_500),
                    streamed: true, costUSD: [0.41, 0.083, 0.021][(day + index) % 3] * Double(1 + index % 3),
                    client: "claude-cli/2.1.3 (external, cli)",
                    attribution: Attribution(session: "7c1f2a9e-55d3-4b8e-9f2a-0000000000\(10 + day % 3)", clientName: "claude-cli",
                                             clientVersion: "2.1.3", project: ["cco", "webapp"][day % 2]))
                record.incomplete = day == 12 && index == 0
                records.append(record)
            }
        }
        try store.insert(records)
    }

    func withDashboard(_ body: (CCOProcess, Int) async throws -> Void) async throws {
        try await withDashboard { cco, port, _ in try await body(cco, port) }
    }

    func withDashboard(_ body: (CCOProcess, Int, FakeUpstream) async throws -> Void) async throws {
        let fake = try FakeUpstream()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cco-dash-\(UUID().uuidString.prefix(8))").path
        let cco = CCOProcess(stateDirectory: dir)
        defer {
            if let pid = FileLock.holder(of: cco.paths.lockFile) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 25\nmonthly_usd = 200")
        try Self.seed(dir + "/analytics.db")
        let (_, port) = try cco.startOnFreePort()
        try await body(cco, port, fake)
    }

    /// A streamed call of Claude Code session `session` (agent `agent`, when given), read whole.
    static func claudeCodeCall(port: Int, session: String, agent: String? = nil) async throws {
        let reply = try await BudgetTests.call(port: port, session: session, extra: agent.map { [("x-claude-code-agent-id", $0)] } ?? [])
        guard reply.status == 200 else { throw TestFailure("the call failed: \(reply.status) \(reply.text)") }
    }

    static func json(_ port: Int, _ path: String) async throws -> [String: Any] {
        let reply = try await HTTP.send(.GET, port: port, path: path)
        guard reply.status == 200 else { throw TestFailure("\(path): \(reply.status) \(reply.text)") }
        return reply.json
    }

    /// `cco stats`'s dollars: four decimals.
    static func dollars(_ value: Double) -> String {
        let tenThousandths = Int((value * 10_000).rounded())
        let fraction = String(tenThousandths % 10_000)
        return "$\(tenThousandths / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }

    /// What each view waits for before it counts as drawn.
    static let drawn = [
        "overview": "!!document.querySelector('#chart svg') && !!document.querySelector('#budgets .budget')",
        "sessions": "document.querySelectorAll('#sessions tbody tr[data-session]').length > 0",
        "live": "document.querySelector('#connection').dataset.state === 'connected' && document.querySelectorAll('#live tbody tr').length > 0",
        "daemon": "!!document.querySelector('[data-fact=pid]') && document.querySelector('#daemon-log').textContent.length > 0",
    ]

    @Test(.enabled(if: Browser.available, Self.browserMissing))
    func everyViewLoadsWithoutAConsoleErrorOrARequestToAnotherHostAndShowsNoCredential() async throws {
        try await withDashboard { cco, port in
            let session = "7c1f2a9e-55d3-4b8e-9f2a-0000000000aa"
            try await Self.claudeCodeCall(port: port, session: session)
            try await Self.claudeCodeCall(port: port, session: session, agent: "agent-explore-1")
            let token = try String(contentsOfFile: cco.paths.adminTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)

            let browser = try Browser()
            let origin = "http://127.0.0.1:\(port)"
            for (width, height, scheme, suffix) in [(1280, 800, "light", ""), (390, 844, "dark", "-narrow-dark")] {
                for view in ["overview", "sessions", "live", "daemon"] {
                    let fragment = view == "sessions" ? "sessions/\(session)" : view
                    try browser.open("\(origin)/#\(fragment)", width: width, height: height, scheme: scheme)
                    try browser.wait(Self.drawn[view]!, timeout: 10)
                    if view == "sessions" { try browser.wait("document.querySelectorAll('#session-calls tbody tr').length === 2") }
                    // Wide tables scroll inside their box; the page itself never scrolls sideways.
                    let overflow = try browser.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") as? Int
                    #expect(overflow == 0, "\(view) at \(width)×\(height) is \(overflow ?? -1) px wider than the window")
                    let background = try browser.string("getComputedStyle(document.body).backgroundColor")
                    #expect(background == (scheme == "dark" ? "rgb(22, 22, 24)" : "rgb(247, 247, 245)"), "\(view) in \(scheme): \(background ?? "")")
                    let text = try browser.string("document.body.innerText") ?? ""
                    #expect(!text.contains(token) && !text.contains("sk-ant-oat01-test"), "\(view) shows a credential")
                    try browser.screenshot(to: "\(Self.screenshots)/\(view)\(suffix).png")
                }
            }
            let report = try browser.report()
            #expect(report.consoleErrors.isEmpty, "\(report.consoleErrors)")
            #expect(report.exceptions.isEmpty, "\(report.exceptions)")
            #expect(report.requests.count > 10)
            let elsewhere = report.requests.filter { !$0.hasPrefix(origin + "/") }
            #expect(elsewhere.isEmpty, "requests to another host: \(elsewhere)")
            for view in ["overview", "sessions", "live", "daemon"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: "\(Self.screenshots)/\(view).png")[.size] as? Int) ?? 0
                #expect(size > 10_000, "\(view).png is \(size) bytes")
            }
        }
    }

    @Test(.enabled(if: Browser.available, Self.browserMissing))
    func theFiguresItShowsAreThoseOfApiStatsAndCcoStats() async throws {
        try await withDashboard { cco, port in
            for index in 0 ..< 3 { try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-00000000000\(index)") }
            let browser = try Browser()
            try browser.open("http://127.0.0.1:\(port)/", width: 1280, height: 800)
            try browser.wait(Self.drawn["overview"]!, timeout: 10)
            for range in ["today", "week", "month"] {
                let totals = try await Self.json(port, "/api/stats?range=\(range)")["totals"] as? [String: Any] ?? [:]
                let cost = totals["cost_usd"] as? Double ?? -1
                #expect(try browser.evaluate("+document.querySelector('[data-figure=cost-\(range)]').dataset.value") as? Double == cost)
                #expect(try browser.string("document.querySelector('[data-figure=cost-\(range)]').textContent") == Self.dollars(cost))
                #expect(try browser.string("document.querySelector('[data-figure=calls-\(range)]').textContent") == "\(totals["requests"] as? Int ?? -1) calls")
                let cli = try cco.run("stats", "--range", range, "--json")
                let cliTotals = (try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any]
                #expect(cliTotals?["cost_usd"] as? Double == cost, "cco stats --range \(range) says the same")
            }
            let month = try await Self.json(port, "/api/stats?range=month&group_by=model")
            for group in month["groups"] as? [[String: Any]] ?? [] {
                let model = group["key"] as? String ?? ""
                let shown = try browser.evaluate("+document.querySelector('#models tr[data-model=\"\(model)\"] td:last-child').dataset.value") as? Double
                #expect(shown == group["cost_usd"] as? Double, "\(model)")
                // The chart's bars of the model add up to its cost over the month.
                let charted = try browser.evaluate("[...document.querySelectorAll('#chart rect[data-model=\"\(model)\"]')].reduce((s, r) => s + +r.dataset.value, 0)") as? Double ?? 0
                #expect(abs(charted - (group["cost_usd"] as? Double ?? 0)) < 1e-9, "\(model): chart \(charted)")
            }
            let totals = month["totals"] as? [String: Any] ?? [:]
            let input = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens"].reduce(0) { $0 + (totals[$1] as? Int ?? 0) }
            let share = Double(totals["cache_read_tokens"] as? Int ?? 0) / Double(input)
            let shownShare = try browser.evaluate("+document.querySelector('[data-figure=cache-read-share]').dataset.value") as? Double
            #expect(shownShare.map { abs($0 - share) < 1e-12 } == true, "\(shownShare ?? -1) against \(share) = \(totals["cache_read_tokens"] ?? 0) / \(input)")
            let budget = try await Self.json(port, "/api/budget")
            #expect(try browser.evaluate("document.querySelectorAll('#budgets .budget').length") as? Int == (budget["budgets"] as? [Any])?.count)

            try browser.open("http://127.0.0.1:\(port)/#sessions", width: 1280, height: 800)
            try browser.wait(Self.drawn["sessions"]!)
            let sessions = try await Self.json(port, "/api/sessions?range=month&limit=200")["sessions"] as? [[String: Any]] ?? []
            #expect(sessions.count == 6)
            #expect(try browser.evaluate("document.querySelectorAll('#sessions tbody tr[data-session]').length") as? Int == sessions.count)
            for session in sessions {
                let id = session["session"] as? String ?? ""
                let shown = try browser.evaluate("+document.querySelector('#sessions tr[data-session=\"\(id)\"] td:last-child').dataset.value") as? Double
                #expect(shown == session["cost_usd"] as? Double, "\(id)")
            }
        }
    }

    @Test(.enabled(if: Browser.available, Self.browserMissing))
    func aCallMadeWhileItIsOpenAppearsInLiveWithinASecond() async throws {
        try await withDashboard { _, port in
            try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-0000000000bb")
            let browser = try Browser()
            try browser.open("http://127.0.0.1:\(port)/#live")
            try browser.wait(Self.drawn["live"]!, timeout: 10)
            var delays: [Double] = []
            for index in 0 ..< 5 {
                let last = try await Self.json(port, "/api/calls?range=today&limit=1")["calls"] as? [[String: Any]]
                let lastID = last?.first?["id"] as? Int ?? 0
                try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-0000000000bb", agent: "agent-\(index)")
                // Timed from the moment the call's answer was read whole.
                let delay = try browser.wait("!!document.querySelector('#live tbody tr[data-call-id=\"\(lastID + 1)\"]')", timeout: 5)
                delays.append(delay)
                let row = try browser.string("document.querySelector('#live tbody tr[data-call-id=\"\(lastID + 1)\"]').innerText") ?? ""
                #expect(row.contains("agent-\(index)") && row.contains("claude-sonnet-4-5") && row.contains("7c1f2a9e"), "\(row)")
            }
            print("dashboard live: a finished call appeared after \(delays.map { String(format: "%.0f", $0) }.joined(separator: ", ")) ms")
            #expect(delays.allSatisfy { $0 < 1000 }, "\(delays)")
        }
    }

    /// A restart while a Claude Code stream is in progress: the open page's event stream ends as
    /// the old daemon begins to drain (it would otherwise hold it for drain_timeout), the Live view
    /// reconnects to the new daemon by itself, and the stream the old daemon finishes afterwards
    /// shows up there, read back from the database.
    @Test(.enabled(if: Browser.available, Self.browserMissing))
    func liveFollowsARestartAndShowsTheStreamTheOldDaemonFinishes() async throws {
        try await withDashboard { cco, port, fake in
            let browser = try Browser()
            try browser.open("http://127.0.0.1:\(port)/#live")
            try browser.wait("document.querySelector('#connection').dataset.state === 'connected'", timeout: 10)
            let oldPID = try #require(try PIDFile(path: cco.paths.pidFile).read()).pid
            try await withHTTPClient(connections: 2) { client in
                let held = try HTTP.startHeldStream(client, port: port, id: "long", headers: [
                    ("authorization", "Bearer sk-ant-oat01-test"), ("user-agent", "claude-cli/2.1.3 (external, cli)"),
                    ("x-claude-code-session-id", "7c1f2a9e-55d3-4b8e-9f2a-0000000000dd")])
                #expect(await waitUntil(timeout: .seconds(10)) { (try? fake.holds()["long"]) == "holding" })
                let restart = try cco.run("daemon", "restart")
                #expect(restart.status == 0 && restart.stdout.contains("is finishing 1 request (1 stream)"), "restart: \(restart.stdout)\(restart.stderr)")
                try browser.wait("document.querySelector('#connection').dataset.state === 'connected' && document.querySelector('#live-state').textContent === '· live'", timeout: 5)
                try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-0000000000cc")
                try browser.wait("[...document.querySelectorAll('#live tbody tr')].some((r) => r.innerText.includes('7c1f2a9e…') )", timeout: 3)
                #expect(kill(oldPID, 0) == 0, "the old daemon still finishes the held stream")
                try await fake.release("long")
                let reply = try await held.reply()
                #expect(reply.status == 200 && reply.text.contains("message_stop"))
                let shown = try browser.wait("[...document.querySelectorAll('#live tbody tr')].some((r) => r.querySelector('td:nth-child(3)').title === '7c1f2a9e-55d3-4b8e-9f2a-0000000000dd')", timeout: 3)
                print("dashboard live: the stream the old daemon finished appeared after \(String(format: "%.0f", shown)) ms")
            }
            // drain_timeout is 600 s: an event stream left open would keep the old daemon that long.
            #expect(eventually(timeout: .seconds(5)) { kill(oldPID, 0) != 0 }, "pid \(oldPID) still drains")
            let report = try browser.report()
            #expect(report.exceptions.isEmpty, "\(report.exceptions)")
        }
    }

    /// `/api/events` without a browser: a client that reconnects with the last id it saw is first
    /// sent the calls it missed, then the new ones.
    @Test func theEventStreamResumesAfterTheLastEventID() async throws {
        try await withDashboard { _, port in
            for index in 0 ..< 3 { try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-00000000001\(index)") }
            let calls = try await Self.json(port, "/api/calls?range=today&limit=3")["calls"] as? [[String: Any]] ?? []
            let ids = calls.compactMap { $0["id"] as? Int }.sorted()
            #expect(ids.count == 3)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/events")
            request.headers.add(name: "last-event-id", value: String(ids[0]))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(response.headers.first(name: "x-cco-ends-at-drain") == nil, "the server's own mark does not leave the daemon")
            var text = ""
            var sentLive = false
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if !sentLive, text.contains("id: \(ids[2])\n") {
                    sentLive = true
                    try await Self.claudeCodeCall(port: port, session: "7c1f2a9e-55d3-4b8e-9f2a-000000000020")
                }
                if text.contains("id: \(ids[2] + 1)\n") { break }
            }
            #expect(!text.contains("id: \(ids[0])\n"), "the call it saw is not sent again")
            #expect(text.contains("id: \(ids[1])\nevent: call\ndata: {"))
            #expect(text.contains("\"session\":\"7c1f2a9e-55d3-4b8e-9f2a-000000000020\""))
            let bad = try await HTTP.send(.GET, port: port, path: "/api/events?after=abc")
            #expect(bad.status == 400 && bad.text.contains("Last-Event-ID (or after) must be the id of a call"))
            let badLimit = try await HTTP.send(.GET, port: port, path: "/api/calls?limit=0")
            #expect(badLimit.status == 400 && badLimit.text.contains("limit must be a number from 1 to 10000"), "\(badLimit.text)")
            let badRange = try await HTTP.send(.GET, port: port, path: "/api/sessions?range=year")
            #expect(badRange.status == 400 && badRange.text.contains("range must be one of today, week, month, all, found \\\"year\\\""), "\(badRange.text)")
        }
    }

    /// The page is guarded like the API: a rebinding Host, another origin or a cross-site page get
    /// nothing; the page may load nothing from elsewhere and may not be framed.
    @Test func theHostAndOriginChecksGuardThePageAndItsEvents() async throws {
        try await withDashboard { _, port in
            let page = try await HTTP.send(.GET, port: port, path: "/", headers: [("sec-fetch-site", "none")])
            #expect(page.status == 200 && page.text.contains("<script src=\"/dashboard.js\" defer></script>"))
            let policy = page.headers["content-security-policy"] ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(page.headers.keys.allSatisfy { !$0.hasPrefix("access-control-") })
            let rebound = try await HTTP.send(.GET, port: port, path: "/", headers: [("host", "attacker.example.com:\(port)")])
            #expect(rebound.status == 421)
            let foreign = try await HTTP.send(.GET, port: port, path: "/api/events", headers: [("origin", "http://evil.example")])
            #expect(foreign.status == 403)
            let crossSite = try await HTTP.send(.GET, port: port, path: "/", headers: [("sec-fetch-site", "cross-site")])
            #expect(crossSite.status == 403)
            let script = try await HTTP.send(.GET, port: port, path: "/dashboard.js")
            #expect(script.status == 200 && script.headers["content-type"]?.hasPrefix("text/javascript") == true)
            let addresses = script.text.replacingOccurrences(of: "'http://www.w3.org/2000/svg'", with: "")
            #expect(!addresses.contains("http://") && !addresses.contains("https://"), "the script names no other host (the SVG namespace aside)")
        }
    }

    /// `cco dashboard` opens the running daemon's address with xdg-open (a stand-in on PATH that
    /// records what it was given), and prints it where no browser can be opened.
    @Test func ccoDashboardOpensTheViewItIsAskedForOrPrintsItsAddress() async throws {
        let none = try withStateDirectory { cco in try cco.run("dashboard") }
        #expect(none.status == 1 && none.stderr.contains("no daemon runs for") && none.stderr.contains("cco daemon start"), "\(none.stderr)")
        try await withDashboard { cco, port in
            let url = "http://127.0.0.1:\(port)/"
            let printed = try cco.run(["dashboard", "live", "--print"])
            #expect(printed.status == 0 && printed.stdout == url + "#live\n", "\(printed.stdout)")
            let headless = try cco.run(["dashboard"], extraEnvironment: ["DISPLAY": "", "WAYLAND_DISPLAY": "", "BROWSER": ""])
            #expect(headless.status == 0 && headless.stdout.contains("no display here") && headless.stdout.contains("open \(url) in a browser"), "\(headless.stdout)")

            let bin = cco.stateDirectory + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            let opened = cco.stateDirectory + "/opened"
            try "#!/bin/sh\necho \"$@\" >> \(opened)\nexit ${FAKE_OPEN_STATUS:-0}\n".write(toFile: bin + "/xdg-open", atomically: true, encoding: .utf8)
            chmod(bin + "/xdg-open", 0o755)
            let graphical = ["DISPLAY": ":99", "PATH": bin + ":/usr/bin:/bin"]
            let open = try cco.run(["dashboard", "sessions"], extraEnvironment: graphical)
            #expect(open.status == 0 && open.stdout == "opened \(url)#sessions (with xdg-open)\n", "\(open.stdout)\(open.stderr)")
            #expect(try String(contentsOfFile: opened, encoding: .utf8) == url + "#sessions\n")
            let failing = try cco.run(["dashboard"], extraEnvironment: graphical.merging(["FAKE_OPEN_STATUS": "3"]) { _, new in new })
            #expect(failing.status == 0 && failing.stdout.contains("xdg-open failed (exit status 3); open \(url) in a browser"), "\(failing.stdout)")
        }
    }
}
