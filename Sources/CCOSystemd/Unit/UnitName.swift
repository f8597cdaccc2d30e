/// Unit names as D-Bus object paths, and the unit this process runs in.
public enum UnitName {
    /// The user unit this process runs in (`cco-daemon.service`), from its cgroup; nil outside one
    /// (a daemon started by `cco daemon start`, or not on Linux).
    public static func ofThisProcess() -> String? {
        #if os(Linux)
        systemd_pid_get_user_unit(0)
        #else
        return nil
        #endif
    }

    /// The object path under which the manager serves `unit`, for example
    /// `/org/freedesktop/systemd1/unit/cco_2ddaemon_2eservice` for `cco-daemon.service`.
    ///
    /// systemd loads a unit when its path is first used, so this path can be read without a
    /// `LoadUnit` round trip. The escaping is `sd_bus_path_encode(3)`'s: ASCII letters and digits
    /// stay, every other byte (`_` included) becomes `_` and two lowercase hex digits, a leading
    /// digit is escaped too, and an empty name is `_`.
    public static func objectPath(of unit: String) -> String {
        "/org/freedesktop/systemd1/unit/" + escapedLabel(unit)
    }

    static func escapedLabel(_ label: String) -> String {
        guard !label.isEmpty else { return "_" }
        let hex = Array("0123456789abcdef".utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(label.utf8.count)
        for (index, byte) in label.utf8.enumerated() {
            let isLetter = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            let isDigit = byte >= 0x30 && byte <= 0x39
            if isLetter || (isDigit && index > 0) {
                escaped.append(byte)
            } else {
                escaped += [UInt8(ascii: "_"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }
}
