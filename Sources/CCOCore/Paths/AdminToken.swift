/// The secret that the daemon's mutating endpoints (`POST /api/reload`, `POST /api/cache/purge`)
/// require as `Authorization: Bearer …`. It lives in `admin.token` in the state directory, mode
/// 0600, so only the user who owns the daemon can read it; it is made on first start.
public enum AdminToken {
    /// The token in `paths.adminTokenFile`, created (32 random bytes, hex, written atomically) when
    /// the file is missing or empty.
    public static func loadOrCreate(_ paths: CCOPaths) throws(FileError) -> String {
        if let existing = try FileSystem.readTextIfExists(paths.adminTokenFile)?.filter({ !$0.isWhitespace }), existing.count >= 32 {
            return existing
        }
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        let token = String((0 ..< 64).map { _ in digits[Int(generator.next() % 16)] })
        try AtomicFile.write(token + "\n", to: paths.adminTokenFile)
        return token
    }

    /// Compares in time independent of where the strings differ, so that response timing does not
    /// reveal a prefix of the token.
    public static func matches(_ presented: String, _ token: String) -> Bool {
        let a = Array(presented.utf8), b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
