#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// The daemon's files hold API traffic, costs and logs: the state directory should be 0700 and its
/// files 0600. The daemon creates them so; a directory or file made by hand (an editor, a restore)
/// may be looser, and the daemon says so at start.
public enum StatePermissions {
    public struct Loose: Sendable, Hashable, CustomStringConvertible {
        public let path: String
        public let mode: mode_t
        public let isDirectory: Bool

        /// `/home/a/.cco/config.toml is mode 0644: other users can read it; chmod 600 /home/a/.cco/config.toml`
        public var description: String {
            let wanted = isDirectory ? "700" : "600"
            let who = mode & 0o007 != 0 ? "every user" : "your group"
            return "\(path) is mode 0\(String(mode, radix: 8)): \(who) can read it; chmod \(wanted) \(path)"
        }
    }

    /// The state directory and the files directly in it (and in `logs/`) that group or others may
    /// access.
    public static func loose(in paths: CCOPaths) -> [Loose] {
        var found: [Loose] = []
        func check(_ path: String, directory: Bool) {
            var st = stat()
            guard system_lstat(path, &st) == 0 else { return }
            let mode = st.st_mode & 0o777
            if mode & 0o077 != 0 { found.append(Loose(path: path, mode: mode, isDirectory: directory)) }
        }
        check(paths.stateDirectory, directory: true)
        for directory in [paths.stateDirectory, paths.logsDirectory] {
            guard let entries = try? directoryEntries(directory) else { continue }
            for name in entries.sorted() {
                let path = directory + "/" + name
                var st = stat()
                guard system_lstat(path, &st) == 0 else { continue }
                let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                if (st.st_mode & S_IFMT) == S_IFREG || (isDirectory && path == paths.logsDirectory) {
                    check(path, directory: isDirectory)
                }
            }
        }
        return found
    }
}
