#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// The daemon is its own executable, `cco-daemon`, installed next to `cco`. The command line stays
/// small and starts fast (`cco daemon status` runs in a few milliseconds) because it does not carry
/// the HTTP server, the gateway's HTTP client, TLS and crypto; `cco daemon run` execs `cco-daemon`.
public enum DaemonExecutable {
    public static let name = "cco-daemon"

    /// `cco-daemon` in the directory of `cli`, the resolved path of the running `cco`.
    public static func path(besideCLI cli: String) -> String {
        guard let slash = cli.lastIndex(of: "/") else { return name }
        return String(cli[...slash]) + name
    }

    /// Replaces this process with `cco-daemon` at `path` (`system_execv(3)`).
    ///
    /// - Returns: only when the exec failed: why.
    public static func exec(_ path: String, _ arguments: DaemonArguments) -> Errno {
        var argv = ([path] + arguments.arguments).map { strdup($0) } + [nil]
        system_execv(path, &argv)
        return Errno(rawValue: errno)
    }
}
