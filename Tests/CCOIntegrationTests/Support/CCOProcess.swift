import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore

/// The built `cco` binary, run as a user would run it, each test with its own state directory.
struct CCOProcess {
    /// `cco` sits next to the test bundle in the build directory (the test target depends on it).
    static let executable: String = {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return bundle.appendingPathComponent("cco").path
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let stateDirectory: String

    var paths: CCOPaths { CCOPaths(stateDirectory: stateDirectory) }

    var environment: [String: String] {
        ["CCO_HOME": stateDirectory, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": stateDirectory, "NO_COLOR": "1"]
    }

    /// Runs `cco ARGS…` to completion.
    @discardableResult
    func run(_ arguments: String...) throws -> Result {
        try run(arguments)
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Result {
        try Self.runToCompletion(Self.executable, arguments, environment: environment.merging(extraEnvironment) { _, new in new }, stdin: stdin)
    }

    /// Runs a program to completion with `stdin` (else /dev/null) as its input, capturing stdout and stderr.
    static func runToCompletion(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `cco daemon start --port 0` and the port and pid it reports.
    func startOnFreePort() throws -> (pid: Int32, port: Int) {
        let result = try run("daemon", "start", "--port", "0")
        guard result.status == 0, let last = result.stdout.split(separator: "\n").last,
              let started = Self.parseStarted(String(last)) else {
            throw TestFailure("start failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return started
    }

    /// Parses `started (pid N) on http://127.0.0.1:PORT in X ms` or `already running (pid N) on …`.
    static func parseStarted(_ line: String) -> (pid: Int32, port: Int)? {
        guard let open = line.range(of: "(pid "), let close = line.range(of: ")", range: open.upperBound ..< line.endIndex),
              let pid = Int32(line[open.upperBound ..< close.lowerBound]),
              let colon = line.range(of: ":", options: .backwards),
              let port = Int(line[colon.upperBound...].prefix { $0.isNumber }) else { return nil }
        return (pid, port)
    }
}

extension CCOProcess {
    /// The live `cco-daemon` processes serving `stateDirectory` (a daemon chdirs into it).
    static func daemons(in stateDirectory: String) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { name -> Int32? in
            guard let pid = Int32(name), (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/cwd")) == stateDirectory,
                  (try? String(contentsOfFile: "/proc/\(name)/comm", encoding: .utf8))?.hasPrefix("cco-daemon") == true,
                  ProcessIdentity.of(pid: pid)?.isAlive == true else { return nil }
            return pid
        }
    }
}

/// A fresh state directory for one test; on exit any daemon left running in it is stopped.
func withStateDirectory<T>(_ body: (CCOProcess) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cco-it-\(UUID().uuidString.prefix(8))").path
    let cco = CCOProcess(stateDirectory: dir)
    defer {
        if let pid = FileLock.holder(of: cco.paths.lockFile) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
    return try body(cco)
}

/// ``withStateDirectory(_:)`` for an async body.
func withStateDirectory<T>(_ body: (CCOProcess) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cco-it-\(UUID().uuidString.prefix(8))").path
    let cco = CCOProcess(stateDirectory: dir)
    defer {
        if let pid = FileLock.holder(of: cco.paths.lockFile) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
    return try await body(cco)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock().now + timeout
    while ContinuousClock().now < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}

/// Polls `condition` until it holds or `timeout` passes, sleeping between polls without holding a
/// thread: where other tasks (a test's own requests) must run meanwhile.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock().now + timeout
    while ContinuousClock().now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A TCP listener on a free loopback port, for "port in use" tests.
final class Listener {
    let fd: CInt
    let port: Int

    init() throws {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { close(fd); throw TestFailure("cannot bind a test listener: \(errno)") }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}

/// Copies an executable with `cp` in a child process rather than in this one: a descriptor open for
/// writing here would be inherited by whatever another test spawns at that moment, and exec of the
/// copy would then fail with ETXTBSY ("Text file busy") for as long as that child lives.
func copyExecutable(_ source: String, to destination: String) throws {
    let result = try CCOProcess.runToCompletion("/bin/cp", [source, destination])
    guard result.status == 0 else { throw TestFailure("cp \(source) \(destination): \(result.stderr)") }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() throws -> Int {
    try Listener().port  // bound, then closed when the listener is released
}
