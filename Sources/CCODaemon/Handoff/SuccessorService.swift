#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import Logging
import ServiceLifecycle
import SystemPackage
import UnixSignals

/// Under systemd, SIGUSR2 (`cco daemon restart`) starts this daemon's successor inside the unit:
/// `cco-daemon --take-over` with this daemon's arguments and environment. The successor takes the
/// listener over on `handoff.sock` as a standalone restart does; this daemon, still the unit's main
/// process, tells systemd `MAINPID=` of the successor once it is ready, so old and new overlap: nothing waits for a stop,
/// and this daemon finishes its streams while the new one serves. A successor that fails leaves
/// this daemon serving.
struct SuccessorService: Service {
    let executable: String
    let arguments: DaemonArguments
    let environment: [String: String]
    let handover: Handover
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sigusr2).cancelOnGracefulShutdown() {
            guard !handover.isHandedOver else { continue }
            do {
                _ = try spawn()
                logger.info("restart: started the successor that takes over")
            } catch {
                logger.error("restart: cannot start \(executable): \(error); still serving")
            }
        }
    }

    /// The successor's environment: this one's, without what named this process (the socket
    /// activation fds it took, `WATCHDOG_PID`: the watchdog follows the main pid).
    static func successorEnvironment(_ environment: [String: String]) -> [String: String] {
        var environment = environment
        for key in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_PID"] { environment[key] = nil }
        return environment
    }

    /// Starts the successor through `/bin/sh -c 'exec … &'`: the shell exits at once, so the
    /// successor is re-parented to the user manager (a subreaper) before it names itself the main
    /// pid. A main pid that is not systemd's child is "alien": systemd cannot wait for it and would
    /// answer the next stop with SIGKILL instead of SIGTERM.
    private func spawn() throws(Errno) -> pid_t {
        let command = ([executable] + arguments.arguments).map(Self.shellQuoted).joined(separator: " ")
        let words: [String] = ["/bin/sh", "-c", "exec \(command) </dev/null &"]
        let argv = words.map { strdup($0) } + [nil]
        let envp = Self.successorEnvironment(environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = system_posix_spawn(&pid, "/bin/sh", argv, envp)
        guard result == 0 else { throw Errno(rawValue: result) }
        // The shell returns once it has forked the successor; reap it.
        var status: CInt = 0
        _ = system_waitpid(pid, &status, 0)
        return pid
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
