#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// Starts a detached process: a new session (no controlling terminal, not in the caller's process
/// group, so Ctrl-C in the shell does not reach it), stdin from /dev/null, stdout and stderr appended
/// to a file, no other inherited descriptor, default signal dispositions and an empty signal mask.
public enum ProcessSpawner {
    /// - Returns: the child's pid; the caller may `waitpid` it until the caller itself exits.
    /// - Throws: `Errno` from `posix_spawn(3)` (e.g. ENOENT for a missing executable).
    public static func spawnDetached(
        executable: String, arguments: [String], environment: [String: String], outputFile: String
    ) throws(Errno) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing the caller holds open (pipes from a script's $(…), sockets, lock files without
        // O_CLOEXEC) may live on in the daemon: a captured pipe would never see EOF.
        closeDescriptors(from: 3, in: &actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26) is a GNU extension that may not be imported.
        let setsid: Int32 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard r == 0 else { throw Errno(rawValue: r) }
        return pid
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc ≥ 2.34) is a GNU extension that Swift does
    /// not import; it is looked up at run time and called through its C signature.
    static func closeDescriptors(from lowest: CInt, in actions: inout posix_spawn_file_actions_t) {
        #if os(Linux)
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt
        guard let symbol = system_dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
        #endif
    }

    /// The exit of a child, if it has exited (non-blocking `waitpid`).
    public static func exitStatus(of pid: Int32) -> ChildExit? {
        var status: CInt = 0
        let r = system_waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; decode the wait status by hand.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    public enum ChildExit: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by signal \(signal)\(signal == SIGILL ? " (SIGILL: a Swift runtime error)" : "")"
            }
        }
    }
}
