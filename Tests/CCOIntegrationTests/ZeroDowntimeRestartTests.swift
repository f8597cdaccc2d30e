import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOCore
import NIOHTTP1

/// `cco daemon restart` of a standalone daemon while clients keep sending: the new process takes
/// the listening socket over, so no request fails and no connection is refused.
@Suite struct ZeroDowntimeRestartTests {
    @Test func twentyStandaloneRestartsUnderLoadFailNoRequest() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco async throws in
            // cache_persist: the cache goes with the socket, so the cached call never reaches the upstream again.
            let port = try freePort()
            try cco.configure(upstream: fake.url, "cache_persist = true\nport = \(port)")
            #expect(try cco.run("daemon", "start").status == 0)
            let body = #"{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"restart"}]}"#
            let headers = ["--header", "x-api-key: sk-restart", "--header", "anthropic-version: 2023-06-01"]
            let warm = try await HTTP.send(.POST, port: port, path: "/v1/messages", body: body,
                                           headers: [("x-api-key", "sk-restart"), ("anthropic-version", "2023-06-01")])
            #expect(warm.status == 200 && warm.cache == "miss")

            let health = try LoadRun(port: port, rate: 200, connections: 4)
            let cached = try LoadRun(port: port, rate: 100, connections: 2, arguments: ["--method", "POST", "--path", "/v1/messages", "--body", body] + headers)
            var pids: Set<Int32> = []
            for _ in 0 ..< 20 {
                let restart = try cco.run("daemon", "restart")
                #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
                #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
                if let record = try PIDFile(path: cco.paths.pidFile).read() { pids.insert(record.pid) }
            }
            let healthReport = try health.finish()
            let cachedReport = try cached.finish()
            print("standalone, 20 restarts: /health \(healthReport.summary); cached gateway call \(cachedReport.summary)")
            #expect(pids.count == 20)
            #expect(healthReport.failed == 0, "\(healthReport.summary)")
            #expect(cachedReport.failed == 0, "\(cachedReport.summary)")
            #expect(healthReport.ok > 100 && cachedReport.ok > 50)
            #expect(try fake.counts().messages == 1, "every later call was answered from the cache handed over")
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }
}
