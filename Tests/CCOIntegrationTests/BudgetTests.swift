import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore
import NIOCore
import NIOHTTP1
import Testing

/// Budgets through the real daemon against FakeUpstream, with Claude Code-shaped streamed calls.
@Suite struct BudgetTests {
    /// A streamed call of a Claude Code session, read whole; its status, headers and body.
    static func call(_ client: HTTPClient = .shared, port: Int, session: String, maxTokens: Int = 1000, extra: [(String, String)] = []) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/messages")
        request.method = .POST
        for (name, value) in [("authorization", "Bearer sk-ant-oat01-test"), ("anthropic-version", "2023-06-01"),
                              ("user-agent", "claude-cli/2.0.14 (external, cli)"), ("x-claude-code-session-id", session),
                              ("content-type", "application/json")] + extra {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: #"{"model":"claude-sonnet-4-5","max_tokens":\#(maxTokens),"stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for (name, value) in response.headers { fields[name.lowercased()] = value }
        return HTTPReply(status: Int(response.status.code), headers: fields, body: Array(buffer: bytes))
    }

    static func budget(_ cco: CCOProcess) throws -> [String: Any] {
        let result = try cco.run("budget", "--json")
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("cco budget --json failed (\(result.status)): \(result.stderr)")
        }
        return object
    }

    static func spent(_ report: [String: Any], _ budget: String) -> Double? {
        (report["budgets"] as? [[String: Any]])?.first { $0["budget"] as? String == budget }?["spent_usd"] as? Double
    }

    @Test func aSpentBudgetRefusesTheNextCallBeforeTheUpstreamSeesItUntilItIsRaised() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 0.01\n")
            let (_, port) = try cco.startOnFreePort()

            let first = try await Self.call(port: port, session: "s-1")
            #expect(first.status == 200 && first.text.contains("message_stop"), "the first call is under the budget")
            let refused = try await Self.call(port: port, session: "s-1")
            #expect(refused.status == 400)
            #expect(refused.headers["x-should-retry"] == "false")
            let error = try #require(refused.json["error"] as? [String: Any])
            #expect(error["type"] as? String == "invalid_request_error")
            let message = error["message"] as? String ?? ""
            #expect(message.hasPrefix("cco: the daily budget of $0.01 is spent ($0.02 today); it resets at "), "\(message)")
            #expect(message.contains("cco budget set daily AMOUNT"))
            #expect(try fake.counts().messages == 1, "the upstream never saw the refused call")

            let report = try Self.budget(cco)
            #expect((Self.spent(report, "daily") ?? 0) > 0.01)
            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics").text
            #expect(metrics.contains("cco_budget_refusals_total{budget=\"daily\"} 1"))
            #expect(metrics.contains("cco_budget_limit_usd{budget=\"daily\"} 0.01"))
            let log = try String(contentsOfFile: cco.stateDirectory + "/logs/daemon.log", encoding: .utf8)
            #expect(log.contains("warning cco") && log.contains("budget: the daily budget of $0.01 is spent"))

            // Raising it applies at once, through the running daemon's reload.
            let raised = try cco.run("budget", "set", "daily", "1")
            #expect(raised.status == 0 && raised.stdout.contains("the daily budget: $1.00") && raised.stdout.contains("the running daemon (pid"), "\(raised.stdout)\(raised.stderr)")
            #expect(try await Self.call(port: port, session: "s-1").status == 200)
            #expect(try fake.counts().messages == 2)
            #expect(try String(contentsOfFile: cco.paths.configFile, encoding: .utf8).contains("[budget]\ndaily_usd = 1\n"))
        }
    }

    @Test func aWholeAnswerIsCachedAndCountedBeforeTheNextCallOnItsConnectionIsRead() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 0.01\n")
            let (_, port) = try cco.startOnFreePort()
            func request(_ content: String, closing: Bool = false) -> String {
                let body = #"{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"\#(content)"}]}"#
                return "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nx-api-key: sk-test\r\nanthropic-version: 2023-06-01\r\n"
                    + "x-claude-code-session-id: s-1\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                    + (closing ? "connection: close\r\n" : "") + "\r\n" + body
            }
            // Sent at once, non-streamed: each waits in the daemon while the one before is answered.
            // The same call again is answered from the cache (free); another is checked against
            // what the first cost.
            let replies = try Self.exchange(request("hi") + request("hi") + request("hello", closing: true), port: port)
            // Each answer's status line follows the body before it.
            let statuses = replies.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
            #expect(statuses == ["200", "200", "400"], "\(replies)")
            #expect(replies.contains("x-cco-cache: hit"))
            #expect(try fake.counts().messages == 1)
        }
    }

    /// Writes `text` on a new connection and reads until the daemon closes it.
    static func exchange(_ text: String, port: Int) throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to port \(port): errno \(errno)") }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw TestFailure("send: errno \(errno)") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                if count < 0 { throw TestFailure("recv: errno \(errno), after \(received.count) bytes") }
                break
            }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func whatWasSpentSurvivesARestartAndAStopAndStart() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 0.02\n")
            let (_, port) = try cco.startOnFreePort()
            #expect(try await Self.call(port: port, session: "s-1").status == 200)
            #expect(try await Self.call(port: port, session: "s-1").status == 200)
            #expect(try await Self.call(port: port, session: "s-1").status == 400)
            let restart = try cco.run("daemon", "restart")
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(try await Self.call(port: port, session: "s-1").status == 400, "the new daemon read the spend from the database")
            #expect(try cco.run("daemon", "stop").status == 0)
            let (_, again) = try cco.startOnFreePort()
            #expect(try await Self.call(port: again, session: "s-1").status == 400)
            #expect(try fake.counts().messages == 2)
        }
    }

    @Test func aStreamRunningWhenTheBudgetIsSpentFinishesWhole() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "[budget]\nsession_usd = 0.01\n")
            let (_, port) = try cco.startOnFreePort()
            try await withHTTPClient(connections: 4) { client in
                let held = try HTTP.startHeldStream(client, port: port, id: "long",
                                                    headers: [("authorization", "Bearer sk-ant-oat01-test"), ("x-claude-code-session-id", "s-1")],
                                                    body: #"{"model":"claude-sonnet-4-5","max_tokens":1000,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
                #expect(await waitUntil(timeout: .seconds(20)) { (try? fake.hold("long")) == "holding" })
                #expect(try await Self.call(client, port: port, session: "s-1").status == 200, "spends the session's budget")
                #expect(try await Self.call(client, port: port, session: "s-1").status == 400)
                #expect(try await Self.call(client, port: port, session: "s-2").status == 200, "another session has its own budget")
                try await fake.release("long")
                let stream = try await held.reply()
                #expect(stream.status == 200 && stream.text.contains("message_stop"), "the running stream was not cut")
            }
            let session = try cco.run("budget", "--session", "s-1")
            #expect(session.stdout.contains("never (session s-1)") && session.stdout.contains("spent: calls are refused"), "\(session.stdout)")
        }
    }

    /// 32 sessions call at once until they are refused: the spend passes the limit by at most the
    /// calls in flight when it was reached, one per session.
    @Test func theOvershootUnderConcurrencyIsBoundedByTheCallsInFlight() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            let limit = 1.0
            try cco.configure(upstream: fake.url, "cache_mode = \"off\"\n[budget]\ndaily_usd = \(limit)\n")
            let (_, port) = try cco.startOnFreePort()
            let sessions = 32
            var calls = 0, refusedSessions = 0
            try await withHTTPClient(connections: sessions) { client in
                try await withThrowingTaskGroup(of: (accepted: Int, refused: Bool).self) { group in
                    for index in 0 ..< sessions {
                        group.addTask {
                            var accepted = 0
                            for _ in 0 ..< 20 {
                                let reply = try await Self.call(client, port: port, session: "overshoot-\(index)", extra: [("x-fake-delay-ms", "10")])
                                if reply.status == 400 { return (accepted, true) }
                                #expect(reply.status == 200 && reply.text.contains("message_stop"))
                                accepted += 1
                            }
                            return (accepted, false)
                        }
                    }
                    for try await result in group {
                        calls += result.accepted
                        if result.refused { refusedSessions += 1 }
                    }
                }
            }
            let report = try Self.budget(cco)
            let spent = try #require(Self.spent(report, "daily"))
            let perCall = spent / Double(calls)
            #expect(refusedSessions == sessions, "every session was stopped")
            #expect(try fake.counts().messages == calls)
            #expect(spent >= limit)
            #expect(spent - limit < Double(sessions) * perCall, "overshoot \(spent - limit) with \(calls) calls of \(perCall)")
            print("budget overshoot: \(calls) calls accepted, limit \(limit), spent \(spent): \(Int(((spent - limit) / perCall).rounded(.up))) calls past it (bound: \(sessions))")
        }
    }

    @Test(.enabled(if: AnthropicSDK.python != nil, "the anthropic SDK's venv (.build-python, made by scripts/test) is missing"))
    func theOfficialSDKShowsTheRefusalAndDoesNotRetry() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 0\n")
            let (_, port) = try cco.startOnFreePort()
            let outcome = try AnthropicSDK.stream(baseURL: "http://127.0.0.1:\(port)", session: "sdk-1", maxRetries: 5)
            #expect(outcome["class"] as? String == "BadRequestError", "\(outcome)")
            #expect(outcome["status"] as? Int == 400)
            #expect((outcome["message"] as? String)?.contains("cco: the daily budget of $0.00 is spent") == true)
            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics").text
            #expect(metrics.contains("cco_budget_refusals_total{budget=\"daily\"} 1"), "one request: the SDK did not retry")
            #expect(try fake.counts().messages == 0)
        }
    }

    @Test func theStatuslinePrintsOneLineAndNeverFails() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            let input = #"{"session_id":"sl-1","model":{"id":"claude-opus-4-7","display_name":"Opus 4.7"},"cost":{"total_cost_usd":0.1},"workspace":{"current_dir":"/tmp"}}"#
            let none = try cco.run(["statusline"], stdin: input)
            #expect(none.status == 0 && none.stdout == "cco: daemon not running (cco daemon start)\n")
            try cco.configure(upstream: fake.url, "[budget]\ndaily_usd = 10\n")
            let (_, port) = try cco.startOnFreePort()
            #expect(try await Self.call(port: port, session: "sl-1").status == 200)
            let line = try cco.run(["statusline"], stdin: input)
            #expect(line.status == 0)
            #expect(line.stdout.hasPrefix("Opus 4.7 · cco $0.02 session · $0.02 today · $9.98 left today · cache ") && line.stdout.hasSuffix("\n"), "\(line.stdout)")
            #expect(!line.stdout.contains("\u{1B}"), "NO_COLOR")
            let colored = try cco.run(["statusline"], stdin: input, extraEnvironment: ["NO_COLOR": ""])
            #expect(colored.stdout.contains("\u{1B}[32m$9.98 left today\u{1B}[0m"))
            for broken in ["", "{not json", "[]", String(repeating: "x", count: 100_000)] {
                let result = try cco.run(["statusline"], stdin: broken)
                #expect(result.status == 0 && result.stdout.hasPrefix("cco $0.02 today") && result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
            }
        }
    }

    @Test func setupPointsClaudeCodeAtTheDaemonAndLeavesTheRestAlone() throws {
        try withStateDirectory { cco in
            let claude = cco.stateDirectory + "/claude-config"
            let settings = claude + "/settings.json"
            let env = ["CLAUDE_CONFIG_DIR": claude]
            try cco.configure(upstream: "http://127.0.0.1:9", "port = 3917\n")

            let dry = try cco.run(["setup", "claude-code", "--dry-run"], extraEnvironment: env)
            #expect(dry.status == 0 && dry.stdout.contains("+    \"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:3917\"") && dry.stdout.contains("dry run: nothing was changed"))
            #expect(!FileManager.default.fileExists(atPath: settings))

            let wrote = try cco.run(["setup", "claude-code"], extraEnvironment: env)
            #expect(wrote.status == 0 && wrote.stdout.hasPrefix("wrote \(settings) (Claude Code sessions"), "\(wrote.stdout)\(wrote.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: settings))) as? [String: Any]
            #expect((object?["env"] as? [String: String])?["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:3917")
            #expect((object?["statusLine"] as? [String: String])?["command"] == CCOProcess.executable.replacing("/debug/", with: "/debug/").resolvedPath + " statusline")
            #expect(try cco.run(["setup", "claude-code"], extraEnvironment: env).stdout.hasPrefix("unchanged: "))

            // An existing file: other keys, their order and the file's mode stay.
            try #"{"model":"opus","env":{"DISABLE_TELEMETRY":"1"},"hooks":{}}"#.write(toFile: settings, atomically: false, encoding: .utf8)
            chmod(settings, 0o640)
            let updated = try cco.run(["setup", "claude-code"], extraEnvironment: env)
            #expect(updated.status == 0 && updated.stdout.contains("env.ANTHROPIC_BASE_URL = \"http://127.0.0.1:3917\""))
            let text = try String(contentsOfFile: settings, encoding: .utf8)
            #expect(text.hasPrefix("{\n  \"model\": \"opus\",\n  \"env\": {\n    \"DISABLE_TELEMETRY\": \"1\",\n    \"ANTHROPIC_BASE_URL\""), "\(text)")
            #expect(text.contains("\"hooks\": {}"))
            #expect((try FileManager.default.attributesOfItem(atPath: settings)[.posixPermissions] as? Int) == 0o640)

            // A broken file is refused and left as it was.
            try #"{"model": "opus",,}"#.write(toFile: settings, atomically: false, encoding: .utf8)
            let broken = try cco.run(["setup", "claude-code"], extraEnvironment: env)
            #expect(broken.status == 1)
            #expect(broken.stderr.hasPrefix("error: \(settings) is not valid JSON (line 1, column 18"), "\(broken.stderr)")
            #expect(broken.stderr.split(separator: "\n").count == 1)
            #expect(try String(contentsOfFile: settings, encoding: .utf8) == #"{"model": "opus",,}"#)
        }
    }
}

/// The official `anthropic` Python SDK, in the venv scripts/test makes (`.build-python`).
enum AnthropicSDK {
    static let python: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        let python = url.appendingPathComponent(".build-python/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? CCOProcess.runToCompletion(python, ["-c", "import anthropic"]))?.status == 0 else { return nil }
        return python
    }()

    /// Streams one call as Claude Code does and says how it ended: `{"class", "status", "message"}`.
    static func stream(baseURL: String, session: String, maxRetries: Int) throws -> [String: Any] {
        let script = """
            import anthropic, json, sys
            client = anthropic.Anthropic(base_url=sys.argv[1], api_key="sk-ant-test", max_retries=int(sys.argv[3]))
            try:
                with client.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}],
                                            extra_headers={"X-Claude-Code-Session-Id": sys.argv[2]}) as stream:
                    stream.get_final_message()
                print(json.dumps({"class": "ok"}))
            except anthropic.APIStatusError as error:
                print(json.dumps({"class": type(error).__name__, "status": error.status_code, "message": error.message}))
            """
        let result = try CCOProcess.runToCompletion(python!, ["-c", script, baseURL, session, String(maxRetries)], environment: ["PATH": "/usr/bin:/bin"])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("the SDK script failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return object
    }
}

extension String {
    /// The path with symlinks resolved, as `cco` reports its own executable.
    var resolvedPath: String { URL(fileURLWithPath: self).resolvingSymlinksInPath().path }
}
