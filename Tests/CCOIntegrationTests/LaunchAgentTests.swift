import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOCore

/// The CLI's launchd path, on Linux: `CCO_SERVICE_MANAGER=launchd` and a fake launchctl that runs the
/// agent as launchd would (Fixtures/fake-launchctl).
@Suite struct LaunchAgentTests {
    static let fakeLaunchctl: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures/fake-launchctl").path
    }()

    func launchd(_ cco: CCOProcess) -> [String: String] {
        ["CCO_SERVICE_MANAGER": "launchd", "CCO_LAUNCHCTL": Self.fakeLaunchctl, "FAKE_LAUNCHD_DIR": cco.stateDirectory + "/launchd"]
    }

    /// A config with port 0 and the fake launchd's directory: the environment for cco and where
    /// install writes the plist.
    func agentSetup(_ cco: CCOProcess) throws -> (env: [String: String], plist: String) {
        try FileManager.default.createDirectory(atPath: cco.stateDirectory + "/launchd", withIntermediateDirectories: true)
        try "port = 0\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
        return (launchd(cco), cco.stateDirectory + "/Library/LaunchAgents/com.anthropic.cco.daemon.plist")
    }

    @Test func doctorChecksTheAgentAndItsPlist() throws {
        try withStateDirectory { cco throws in
            let (env, plist) = try agentSetup(cco)
            defer { _ = try? cco.run(["daemon", "uninstall"], extraEnvironment: env) }
            #expect(try cco.run(["daemon", "install"], extraEnvironment: env).status == 0)
            let healthy = try cco.run(["doctor"], extraEnvironment: env)
            #expect(healthy.stdout.contains("ok    launch agent  \(plist) is what `cco daemon install` writes"), "\(healthy.stdout)")
            #expect(healthy.stdout.contains("ok    launch agent  com.anthropic.cco.daemon is loaded"), "\(healthy.stdout)")

            try String(contentsOfFile: plist, encoding: .utf8).replacing("<true/>", with: "<false/>").write(toFile: plist, atomically: true, encoding: .utf8)
            let drifted = try cco.run(["doctor"], extraEnvironment: env)
            #expect(drifted.status == 1)
            #expect(drifted.stdout.contains("fail  launch agent  \(plist) differs from what `cco daemon install` writes now (line "), "\(drifted.stdout)")
            let fixed = try cco.run(["doctor", "--fix"], extraEnvironment: env)
            #expect(fixed.stdout.contains("re-rendered \(plist)"), "\(fixed.stdout)")
            #expect(!(try cco.run(["doctor"], extraEnvironment: env).stdout.contains("fail  launch agent")))
        }
    }

    @Test func installStartsTheAgentAndEveryVerbGoesThroughLaunchctl() throws {
        try withStateDirectory { cco throws in
            let (env, plist) = try agentSetup(cco)
            defer { _ = try? cco.run(["daemon", "uninstall"], extraEnvironment: env) }

            let install = try cco.run(["daemon", "install"], extraEnvironment: env)
            #expect(install.status == 0, "\(install.stderr)")
            #expect(install.stdout.contains("wrote \(plist), loaded into gui/\(getuid())"))
            #expect(install.stdout.contains("started com.anthropic.cco.daemon (pid "))
            #expect(try cco.run(["daemon", "install"], extraEnvironment: env).stdout.hasPrefix("unchanged: \(plist)"))

            let status = try cco.run(["daemon", "status"], extraEnvironment: env)
            #expect(status.status == 0)
            #expect(status.stdout.contains("com.anthropic.cco.daemon (launchd agent, loaded, running"))
            #expect(status.stdout.contains("health: ok"))

            let record = try #require(try PIDFile(path: cco.paths.pidFile).read())
            let first = record.pid
            // The dashboard's daemon view knows launchd runs it.
            guard case .success(let info) = LoopbackHTTPClient.get(host: "127.0.0.1", port: record.port, path: "/api/daemon") else {
                Issue.record("/api/daemon does not answer"); return
            }
            #expect(info.body.contains("\"mode\":\"launchd\""), "\(info.body)")
            let restart = try cco.run(["daemon", "restart"], extraEnvironment: env)
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(try #require(try PIDFile(path: cco.paths.pidFile).read()).pid != first)

            let stop = try cco.run(["daemon", "stop"], extraEnvironment: env)
            #expect(stop.stdout.hasPrefix("stopped com.anthropic.cco.daemon"))
            #expect(try cco.run(["daemon", "status"], extraEnvironment: env).status == 3)
            #expect(try cco.run(["daemon", "start"], extraEnvironment: env).stdout.hasPrefix("started com.anthropic.cco.daemon"))

            let uninstall = try cco.run(["daemon", "uninstall"], extraEnvironment: env)
            #expect(uninstall.stdout.contains("removed \(plist)"))
            #expect(!FileManager.default.fileExists(atPath: plist))
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)

            let calls = try String(contentsOfFile: cco.stateDirectory + "/launchd/calls", encoding: .utf8).split(separator: "\n")
            let target = "gui/\(getuid())/com.anthropic.cco.daemon"
            #expect(calls.contains("enable \(target)"))
            #expect(calls.contains("bootstrap gui/\(getuid()) \(plist)"))
            #expect(calls.contains("kickstart -k \(target)"))
            #expect(calls.contains("bootout \(target)"))
        }
    }

    @Test(arguments: ["linux", "macos"])
    func dryRunPrintsThePlanAndTouchesNothing(platform: String) throws {
        try withStateDirectory { cco throws in
            let result = try cco.run(["daemon", "install", "--dry-run", "--platform", platform])
            #expect(result.status == 0, "\(result.stderr)")
            if platform == "macos" {
                #expect(result.stdout.contains("<key>Label</key>"))
                #expect(result.stdout.contains("launchctl bootstrap gui/"))
            } else {
                #expect(result.stdout.contains("Type=notify"))
                #expect(result.stdout.contains("EnableUnitFiles([\"cco-daemon.service\"]"))
            }
            #expect(!FileManager.default.fileExists(atPath: cco.stateDirectory + "/Library"))
            #expect(!FileManager.default.fileExists(atPath: cco.stateDirectory + "/.config"))
        }
    }
}
