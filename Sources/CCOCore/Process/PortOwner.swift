/// Finds which process listens on a TCP port, for "address in use by pid 3120 (nginx)".
///
/// Reads `/proc/net/tcp` and `/proc/net/tcp6` for a socket in LISTEN state on the port, then the
/// `/proc/PID/fd` links for that socket's inode. Processes of other users are not visible to an
/// unprivileged user; then the owner is simply unknown.
public enum PortOwner {
    public struct Owner: Sendable, Hashable {
        public let pid: Int32
        public let command: String
    }

    public static func find(port: Int) -> Owner? {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? FileSystem.readTextIfExists(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard f.count > 9, f[3] == "0A", let colon = f[1].lastIndex(of: ":"),
                      Int(f[1][f[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert("socket:[\(f[9])]")
            }
        }
        guard !inodes.isEmpty, let pids = try? directoryEntries("/proc") else { return nil }
        for name in pids {
            guard let pid = Int32(name), let fds = try? directoryEntries("/proc/\(name)/fd") else { continue }
            for fd in fds where inodes.contains(readLink("/proc/\(name)/fd/\(fd)") ?? "") {
                return Owner(pid: pid, command: ProcessIdentity.of(pid: pid)?.command ?? "?")
            }
        }
        return nil
    }
}
