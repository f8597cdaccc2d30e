import ArgumentParser
import CCOCore

/// The daemon verbs when a LaunchAgent is installed. launchd has no readiness protocol, so start and
/// restart poll `/health` with a deadline.
enum LaunchAgentCommands {
    static func start(_ agent: LaunchdServiceManager, timeout: Double) throws {
        let clock = ContinuousClock()
        let began = clock.now
        if case .running(let record) = DaemonStatus.read(agent.paths) {
            Terminal.out("already running: \(agent.label) (pid \(record.pid)) on \(record.baseURL)")
            return
        }
        do { try agent.start() } catch { throw failure(error) }
        let record = try waitForHealth(agent.paths, notPID: nil, deadline: began + Duration(secondsOption: timeout))
        Terminal.out("started \(agent.label) (pid \(record.pid)) on \(record.baseURL) in \((clock.now - began).shortText)")
    }

    static func stop(_ agent: LaunchdServiceManager) throws {
        let clock = ContinuousClock()
        let began = clock.now
        let pid = DaemonStatus.read(agent.paths).livePID
        do { try agent.stop() } catch { throw failure(error) }
        Terminal.out(pid.map { "stopped \(agent.label) (pid \($0)) in \((clock.now - began).shortText)" } ?? "not running: \(agent.label)")
    }

    static func restart(_ agent: LaunchdServiceManager, timeout: Double) throws {
        let clock = ContinuousClock()
        let began = clock.now
        let old = DaemonStatus.read(agent.paths).livePID
        do { try agent.restart() } catch { throw failure(error) }
        let record = try waitForHealth(agent.paths, notPID: old, deadline: began + Duration(secondsOption: timeout))
        Terminal.out("restarted \(agent.label) (pid \(record.pid)) on \(record.baseURL) in \((clock.now - began).shortText)")
    }

    /// Exit codes as for the other managers: 0 running, 1 exited with an error, 3 not running.
    static func status(_ agent: LaunchdServiceManager, json: Bool) throws {
        let launchd = agent.status()
        let daemon = StatusReport.gather(agent.paths)
        let code: ExitCode = daemon.exitCode == .success ? .success
            : ((launchd.lastExitStatus ?? 0) != 0 ? .deadWithPIDFile : .notRunning)
        if json {
            Terminal.out(daemon.json(mode: "launchd"))
        } else {
            let loaded = launchd.loaded ? "loaded, \(launchd.state ?? "unknown state")" : "not loaded"
            Terminal.out("● \(agent.label) (launchd agent, \(loaded)\(launchd.lastExitStatus.map { ", last exit status \($0)" } ?? ""))")
            Terminal.out(daemon.text().split(separator: "\n").dropFirst().joined(separator: "\n"))
        }
        if code != .success { throw code }
    }

    private static func waitForHealth(_ paths: CCOPaths, notPID: Int32?, deadline: ContinuousClock.Instant) throws -> PIDRecord {
        while ContinuousClock().now < deadline {
            if case .running(let record) = DaemonStatus.read(paths), record.pid != notPID,
               case .success(let reply) = HealthProbe.get(host: record.host, port: record.port, path: "/health", timeout: .seconds(1)),
               reply.status == 200 {
                return record
            }
            sleepFor(.milliseconds(20))
        }
        throw failure("launchd started the agent but /health did not answer in time; see `cco daemon logs`")
    }
}
