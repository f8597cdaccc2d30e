import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOCore
import Synchronization

/// Races, stale and foreign PID files, crashes and shutdown with open connections, driven through the
/// real binary.
@Suite struct ProcessSafetyTests {
    @Test func pidFileNamingALiveUnrelatedProcessIsNeverSignalled() throws {
        let trials = FaultTrials.count(full: 10)
        var line = FaultLine("PID reuse", "a PID file naming a live process of the same user × \(trials) → never signalled")
        for _ in 0 ..< trials { try withStateDirectory { cco throws in
            let sleeper = Process()
            sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
            sleeper.arguments = ["60"]
            try sleeper.run()
            defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
            let identity = try #require(ProcessIdentity.of(pid: sleeper.processIdentifier))
            // The most convincing forgery: the right pid AND that process's real start time.
            try FileManager.default.createDirectory(atPath: cco.stateDirectory, withIntermediateDirectories: true)
            try PIDFile(path: cco.paths.pidFile).write(PIDRecord(
                pid: identity.pid, host: "127.0.0.1", port: 1, version: "0", startedAt: Date(),
                processStartTime: identity.startTime))

            let status = try cco.run("daemon", "status")
            #expect(status.status == 1)
            #expect(status.stdout.contains("dead"))
            let stop = try cco.run("daemon", "stop")
            #expect(stop.status == 0)
            #expect(stop.stdout.contains("removed a stale PID file"))
            #expect(sleeper.isRunning)

            #expect(!FileManager.default.fileExists(atPath: cco.paths.pidFile))
            try PIDFile(path: cco.paths.pidFile).write(PIDRecord(
                pid: identity.pid, host: "127.0.0.1", port: 1, version: "0", startedAt: Date(),
                processStartTime: identity.startTime))
            let (pid, _) = try cco.startOnFreePort()
            #expect(pid != identity.pid)
            #expect(try cco.run("daemon", "stop").status == 0)
            #expect(sleeper.isRunning)
            #expect(ProcessIdentity.of(pid: identity.pid)?.isAlive == true)
            line.trial(sleeper.isRunning && status.status == 1 && stop.status == 0 && pid != identity.pid,
                       "victim alive \(sleeper.isRunning), status \(status.status), stop \(stop.status)")
        } }
        line.finish()
    }

    @Test func killedDaemonLeavesAStalePIDFileThatStatusReportsAndStartReplaces() throws {
        try withStateDirectory { cco throws in
            let (pid, _) = try cco.startOnFreePort()
            kill(pid, SIGKILL)
            #expect(eventually { FileLock.holder(of: cco.paths.lockFile) == nil })
            let status = try cco.run("daemon", "status")
            #expect(status.status == 1)
            let start = try cco.run("daemon", "start", "--port", "0")
            #expect(start.status == 0)
            #expect(start.stdout.contains("removed a stale PID file naming pid \(pid)"))
            #expect(try cco.run("daemon", "stop").status == 0)
        }
    }

    @Test func twentyConcurrentStartsMakeExactlyOneDaemon() throws {
        let rounds = FaultTrials.count(full: 25)
        var line = FaultLine("races", "20 parallel `cco daemon start` × \(rounds) rounds → one daemon")
        try withStateDirectory { cco throws in for _ in 0 ..< rounds {
            let results = Mutex<[CCOProcess.Result]>([])
            DispatchQueue.concurrentPerform(iterations: 20) { _ in
                let result = (try? cco.run("daemon", "start", "--port", "0"))
                    ?? CCOProcess.Result(status: -1, stdout: "", stderr: "could not run")
                results.withLock { $0.append(result) }
            }
            let all = results.withLock { $0 }
            #expect(all.allSatisfy { $0.status == 0 }, "\(all.filter { $0.status != 0 }.map(\.stderr))")
            let pids = Set(all.compactMap { CCOProcess.parseStarted($0.stdout)?.pid })
            #expect(pids.count == 1)
            #expect(all.filter { $0.stdout.hasPrefix("started") }.count == 1)
            #expect(all.filter { $0.stdout.hasPrefix("already running") }.count == 19)
            // Exactly one process serves this state directory: the daemon chdirs into it.
            let daemons = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { name in
                guard Int32(name) != nil, let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/cwd") else { return false }
                return cwd == cco.stateDirectory
            }
            #expect(daemons.count == 1)
            line.trial(pids.count == 1 && daemons.count == 1 && all.allSatisfy { $0.status == 0 },
                       "\(daemons.count) daemons, \(pids.count) pids reported, exits \(Set(all.map(\.status)))")
            #expect(try cco.run("daemon", "stop").status == 0)
        } }
        line.finish()
    }

    @Test func startStopStormLeavesNoOrphanLockOrPIDFile() throws {
        let rounds = FaultTrials.count(full: 25)
        var line = FaultLine("races", "start/stop storms × \(rounds) → no orphan, no stale lock, no dead PID file")
        try withStateDirectory { cco throws in for _ in 0 ..< rounds {
            DispatchQueue.concurrentPerform(iterations: 10) { i in
                for _ in 0 ..< 3 {
                    _ = try? cco.run(i % 2 == 0 ? ["daemon", "start", "--port", "0"] : ["daemon", "stop"])
                }
            }
            #expect(try cco.run("daemon", "stop").status == 0)
            #expect(FileLock.holder(of: cco.paths.lockFile) == nil)
            #expect(!FileManager.default.fileExists(atPath: cco.paths.pidFile))
            let status = try cco.run("daemon", "status").status
            #expect(status == 3)
            let lock = FileLock.holder(of: cco.paths.lockFile), pidFile = FileManager.default.fileExists(atPath: cco.paths.pidFile)
            line.trial(lock == nil && !pidFile && status == 3, "lock holder \(lock.map(String.init) ?? "none"), PID file \(pidFile), status \(status)")
        } }
        line.finish()
    }

    @Test func idleKeepAliveConnectionDoesNotHoldTheShutdown() throws {
        try withStateDirectory { cco throws in
            let (_, port) = try cco.startOnFreePort()
            let connection = try KeepAliveConnection(port: port)
            #expect(try connection.get("/health").hasPrefix("HTTP/1.1 200"))
            let stop = try cco.run("daemon", "stop", "--timeout", "5")
            #expect(stop.status == 0)
            #expect(!stop.stdout.contains("SIGKILL"), "\(stop.stdout)")
        }
    }

    @Test func rotationWhileServingLosesNoLogLine() throws {
        try withStateDirectory { cco throws in
            try FileManager.default.createDirectory(atPath: cco.stateDirectory, withIntermediateDirectories: true)
            try "log_level = \"debug\"\nlog_rotation_size = 2048\nlog_max_files = 10000\n"
                .write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let (_, port) = try cco.startOnFreePort()
            let connection = try KeepAliveConnection(port: port)
            let count = 300
            for i in 0 ..< count {
                _ = try connection.get("/health?request=\(i)")
            }
            #expect(try cco.run("daemon", "stop").status == 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: cco.paths.logsDirectory).filter { $0.hasPrefix("daemon.log") }
            #expect(files.count > 5)
            var seen: [Int: Int] = [:]
            for file in files {
                let text = try String(contentsOfFile: cco.paths.logsDirectory + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    guard let r = line.range(of: "request=") else { continue }
                    if let n = Int(line[r.upperBound...].prefix { $0.isNumber }) { seen[n, default: 0] += 1 }
                }
            }
            #expect(seen.count == count)
            #expect(seen.values.allSatisfy { $0 == 1 })
        }
    }
}

/// One HTTP/1.1 connection kept open between requests.
final class KeepAliveConnection {
    let fd: CInt

    init(port: Int) throws {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { throw TestFailure("connect failed: \(errno)") }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends bytes as they are (a partial request, say).
    func send(raw text: String) {
        let fd = self.fd
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), CInt(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection: whether it did within `timeout`.
    func waitForClose(timeout seconds: Int) -> Bool {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Sends a GET and reads one whole response (headers and a Content-Length body).
    func get(_ path: String) throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw TestFailure("connection closed or timed out") }
            data += buffer[..<n]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let headers = text[..<end.lowerBound].lowercased()
                let length = headers.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
        }
    }
}

func fileMode(_ path: String) -> UInt32? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt32(st.st_mode & 0o7777)
}
