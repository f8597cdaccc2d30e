#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore

/// What a finished command printed and how it exited.
public struct CommandResult: Sendable, Hashable {
    public var status: Int32
    public var output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs a command to completion; injected so that tests can assert every argument vector.
public protocol CommandRunner: Sendable {
    func run(_ executable: String, _ arguments: [String]) -> CommandResult
}

/// Runs commands for real (posix_spawn, stdout and stderr captured together).
public struct ProcessCommandRunner: CommandRunner {
    public init() {}

    public func run(_ executable: String, _ arguments: [String]) -> CommandResult {
        var fds: [CInt] = [-1, -1]
        guard system_pipe(&fds) == 0 else { return CommandResult(status: -1, output: "pipe failed: errno \(errno)") }
        // Close-on-exec on both ends: dup2 gives the child clean copies on 1 and 2, and nothing the
        // child starts (launchctl forks agents) may hold the write end, or the read never sees EOF.
        for fd in fds { _ = system_fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        ProcessSpawner.closeDescriptors(from: 3, in: &actions)
        var pid: pid_t = 0
        let r = Self.spawn(&pid, executable, arguments, &actions, nil, searchingPath: false)
        system_close(fds[1])
        defer { system_close(fds[0]) }
        guard r == 0 else { return CommandResult(status: 127, output: "cannot run \(executable): errno \(r)") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            guard case .success(let n) = SystemCall.value({ buffer.withUnsafeMutableBytes { system_read(fds[0], $0.baseAddress, $0.count) } }),
                  n > 0 else { break }
            output += buffer[..<n]
        }
        var status: CInt = 0
        _ = SystemCall.value { system_waitpid(pid, &status, 0) }
        return CommandResult(status: Self.exitStatus(status), output: String(decoding: output, as: UTF8.self))
    }

    /// How ``launch(_:_:waitingAtMost:)`` ended.
    public enum LaunchOutcome: Sendable, Hashable {
        case exited(status: Int32)
        /// Still running after the wait: a program that stays (a browser started in the foreground).
        case running
        case failedToStart(errno: Int32)
    }

    /// Starts a program that may stay running (a browser, through `xdg-open` or `open`) with its
    /// output discarded and in a process group of its own (a Ctrl-C in this terminal does not reach
    /// it), and waits at most `limit` for it to exit.
    public func launch(_ executable: String, _ arguments: [String], waitingAtMost limit: Duration) -> LaunchOutcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        ProcessSpawner.closeDescriptors(from: 3, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let r = Self.spawn(&pid, executable, arguments, &actions, &attributes, searchingPath: true)
        guard r == 0 else { return .failedToStart(errno: r) }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            var status: CInt = 0
            if case .success(let reaped) = SystemCall.value({ system_waitpid(pid, &status, WNOHANG) }), reaped == pid {
                return .exited(status: Self.exitStatus(status))
            }
            system_usleep(20_000)
        }
        return .running
    }

    /// A `waitpid` status as a shell shows it: the exit code, or 128 plus the signal that ended it.
    private static func exitStatus(_ status: CInt) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// `posix_spawn` (or `posix_spawnp`, which looks `executable` up in PATH) with this process's environment.
    private static func spawn(_ pid: inout pid_t, _ executable: String, _ arguments: [String], _ actions: inout posix_spawn_file_actions_t,
                              _ attributes: UnsafePointer<posix_spawnattr_t>?, searchingPath: Bool) -> CInt {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        #if canImport(Darwin)
        let environment = _NSGetEnviron().pointee
        #else
        let environment = environ
        #endif
        return searchingPath ? posix_spawnp(&pid, executable, &actions, attributes, argv, environment)
            : posix_spawn(&pid, executable, &actions, attributes, argv, environment)
    }
}
