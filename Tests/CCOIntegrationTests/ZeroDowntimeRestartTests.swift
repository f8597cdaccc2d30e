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
        let rounds = FaultTrials.count(full: 5)
        var line = FaultLine("restarts", "`cco daemon restart` × 20 under gateway load (streams too) × \(rounds) → no failed request, one daemon after")
        for _ in 0 ..< rounds { try await withStateDirectory { cco async throws in
            let upstreamBefore = try fake.counts().messages
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
            let streamBody = #"{"model":"claude-haiku-4-5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"restart"}]}"#
            let streams = try LoadRun(port: port, rate: 40, connections: 2, arguments: ["--method", "POST", "--path", "/v1/messages", "--body", streamBody] + headers)
            var pids: Set<Int32> = []
            for _ in 0 ..< 20 {
                let restart = try cco.run("daemon", "restart")
                #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
                #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
                if let record = try PIDFile(path: cco.paths.pidFile).read() { pids.insert(record.pid) }
            }
            let healthReport = try health.finish()
            let cachedReport = try cached.finish()
            let streamReport = try streams.finish()
            print("standalone, 20 restarts: /health \(healthReport.summary); cached gateway call \(cachedReport.summary); streams \(streamReport.summary)")
            #expect(pids.count == 20)
            #expect(healthReport.failed == 0, "\(healthReport.summary)")
            #expect(cachedReport.failed == 0, "\(cachedReport.summary)")
            #expect(streamReport.failed == 0, "\(streamReport.summary)")
            #expect(healthReport.ok > 100 && cachedReport.ok > 50 && streamReport.ok > 10)
            // The warm-up and each stream reached the upstream; every cached call was answered from
            // the cache handed over.
            let upstreamCalls = try fake.counts().messages - upstreamBefore
            #expect(upstreamCalls == 1 + streamReport.ok, "every later call was answered from the cache handed over")
            let failed = healthReport.failed + cachedReport.failed + streamReport.failed
            let daemons = try CCOProcess.daemons(in: cco.stateDirectory)
            #expect(daemons.count == 1)
            line.trial(failed == 0 && pids.count == 20 && daemons.count == 1 && upstreamCalls == 1 + streamReport.ok,
                       "\(failed) failed (\(streamReport.errors) \(cachedReport.errors)), \(pids.count) pids, daemons \(daemons)", losses: failed)
            #expect(try cco.run("daemon", "stop").status == 0)
        } }
        line.finish()
    }

    /// Claude Code's calls are streams of a minute or more: one held 15 s by the upstream, with
    /// `restart` in its third second, arrives whole from the daemon that was replaced, while the new
    /// one answers everything else; `stop` says what it cut.
    @Test func aFifteenSecondStreamOutlivesARestartAndStopSaysWhatItCuts() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco async throws in
            let port = try freePort()
            try cco.configure(upstream: fake.url, "port = \(port)")
            #expect(try cco.run("daemon", "start").status == 0)
            let old = try #require(try PIDFile(path: cco.paths.pidFile).read()).pid
            let whole = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: HTTP.streamBody).text
            try await withHTTPClient(connections: 4) { client in
                let clock = ContinuousClock()
                let began = clock.now
                let long = try HTTP.startHeldStream(client, port: port, id: "long")
                #expect(await waitUntil(timeout: .seconds(10)) { (try? fake.holds()["long"]) == "holding" })
                try await Task.sleep(until: began + .seconds(2))

                let restart = try cco.run("daemon", "restart")
                #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
                #expect(restart.stdout.contains("pid \(old) is finishing 1 request (1 stream) in progress, for up to 600 s (drain_timeout)"), "\(restart.stdout)")
                let new = try #require(try PIDFile(path: cco.paths.pidFile).read()).pid
                #expect(new != old)
                let status = try cco.run("daemon", "status")
                #expect(status.stdout.contains("pid: \(new)"), "\(status.stdout)")
                #expect(status.stdout.contains("finishing: pid \(old) (replaced by a restart"), "\(status.stdout)")
                #expect(status.stdout.contains("1 request (1 stream) in progress"), "\(status.stdout)")
                let json = try cco.run("daemon", "status", "--json").stdout
                #expect(json.contains(#""finishing":[{"#) && json.contains(#""pid":\#(old)"#), "\(json)")
                // Everything new goes to the new daemon meanwhile.
                let during = try await HTTP.message(port: port, text: "during the drain")
                #expect(during.status == 200)

                try await Task.sleep(until: began + .seconds(15))
                try await fake.release("long")
                let reply = try await long.reply()
                #expect(clock.now - began >= .seconds(15))
                #expect(reply.status == 200)
                #expect(reply.text == whole, "the stream arrived whole across the restart")
            }
            #expect(await waitUntil(timeout: .seconds(5)) { ProcessIdentity.of(pid: old)?.isAlive != true }, "the old daemon exits once its stream is done")
            #expect(!(try cco.run("daemon", "status").stdout.contains("finishing")))

            // Stop waits --timeout for what is in progress, then cuts it and says so.
            try await withHTTPClient(connections: 2) { client in
                let cut = try HTTP.startHeldStream(client, port: port, id: "cut")
                #expect(await waitUntil(timeout: .seconds(10)) { (try? fake.holds()["cut"]) == "holding" })
                let stop = try cco.run("daemon", "stop", "--timeout", "1")
                #expect(stop.status == 0)
                #expect(stop.stdout.contains("after 1 s (--timeout), cutting 1 request (1 stream) still in progress"), "\(stop.stdout)")
                _ = try? await cut.reply()
                try await fake.release("cut")
            }
            #expect(try CCOProcess.daemons(in: cco.stateDirectory).isEmpty)
        }
    }

    /// curl, Python's http.client and SDKs without a pool open a connection per request: none of
    /// theirs may fail across 20 restarts while both cores are busy (with the rest of the suite in a
    /// test run; under `scripts/faults`, which runs one line at a time, with a busy loop per core).
    @Test func clientsThatOpenAConnectionPerRequestSeeNoFailureAcross20Restarts() async throws {
        let rounds = FaultTrials.count(full: 3)
        var line = FaultLine("restarts-new-connections", "`cco daemon restart` × 20, 4 clients opening a connection per request, cores busy × \(rounds) → no failed request")
        for _ in 0 ..< rounds { try await withStateDirectory { cco async throws in
            let port = try freePort()
            try FileManager.default.createDirectory(atPath: cco.stateDirectory, withIntermediateDirectories: true)
            try "port = \(port)\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            #expect(try cco.run("daemon", "start").status == 0)
            let burners = try (0 ..< (FaultTrials.full ? ProcessInfo.processInfo.activeProcessorCount : 0)).map { _ -> Process in
                let burner = Process()
                burner.executableURL = URL(fileURLWithPath: "/bin/sh")
                burner.arguments = ["-c", "while :; do :; done"]
                burner.standardOutput = FileHandle.nullDevice
                burner.standardError = FileHandle.nullDevice
                try burner.run()
                return burner
            }
            // SIGKILL: a shell started from the test process inherits its ignored SIGTERM.
            defer { for burner in burners { kill(burner.processIdentifier, SIGKILL) } }
            let load = try LoadRun(port: port, rate: 400, connections: 4, arguments: ["--new-connection-per-request"])
            for _ in 0 ..< 20 {
                let restart = try cco.run("daemon", "restart")
                #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
                // Each restart right after the last still hands over: never a stop-then-start.
                #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
            }
            let report = try load.finish()
            print("standalone, 20 restarts, a connection per request: /health \(report.summary)")
            #expect(report.failed == 0, "\(report.summary)")
            #expect(report.ok > 500)
            line.trial(report.failed == 0, "\(report.summary)", losses: report.failed)
            #expect(try cco.run("daemon", "stop").status == 0)
        } }
        line.finish()
    }
}

/// An upgrade: `cco-daemon` is replaced on disk (a new inode, as a package manager or `swift build`
/// leaves it) while the old one serves, and `cco daemon restart` moves the listener onto the new one.
@Suite struct UpgradeRestartTests {
    @Test func restartOntoANewBinaryRunsItAndFailsNoRequest() async throws {
        try await withStateDirectory { cco async throws in
            let bin = cco.stateDirectory + "-bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: bin) }
            let built = URL(fileURLWithPath: CCOProcess.executable).deletingLastPathComponent().path
            try copyExecutable(built + "/cco", to: bin + "/cco")
            try copyExecutable(built + "/cco-daemon", to: bin + "/cco-daemon")
            func cli(_ arguments: String...) throws -> CCOProcess.Result {
                try CCOProcess.runToCompletion(bin + "/cco", arguments, environment: cco.environment)
            }

            let port = try freePort()
            try FileManager.default.createDirectory(atPath: cco.stateDirectory, withIntermediateDirectories: true)
            try "port = \(port)\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            #expect(try cli("daemon", "start").status == 0)
            let old = try #require(try PIDFile(path: cco.paths.pidFile).read()).pid
            let oldInode = try inode(of: "/proc/\(old)/exe")

            // The upgrade: the new file is written beside the old one and renamed over it, so the
            // running daemon keeps its (now unlinked) executable.
            try copyExecutable(built + "/cco-daemon", to: bin + "/cco-daemon.new")
            #expect(rename(bin + "/cco-daemon.new", bin + "/cco-daemon") == 0)
            let newInode = try inode(of: bin + "/cco-daemon")
            #expect(newInode != oldInode)

            // Load from before the restart until after it: the old daemon, the takeover, the new one.
            let health = try LoadRun(port: port, rate: 200, connections: 4)
            usleep(300_000)
            let restart = try cli("daemon", "restart")
            usleep(300_000)
            let report = try health.finish()
            #expect(restart.status == 0, "\(restart.stdout) \(restart.stderr)")
            #expect(restart.stdout.contains("listener kept open"), "\(restart.stdout)")
            let new = try #require(try PIDFile(path: cco.paths.pidFile).read()).pid
            #expect(new != old)
            #expect(try inode(of: "/proc/\(new)/exe") == newInode, "the new daemon runs the binary now on disk")
            #expect(eventually { ProcessIdentity.of(pid: old)?.isAlive != true }, "the old daemon exits")
            print("restart onto a new binary: /health \(report.summary)")
            #expect(report.failed == 0, "\(report.summary)")
            #expect(report.ok > 40, "the load ran through the restart: \(report.summary)")
            #expect(try cli("daemon", "stop").status == 0)
        }
    }

    private func inode(of path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw TestFailure("stat \(path): errno \(errno)") }
        return UInt64(info.st_ino)
    }
}
