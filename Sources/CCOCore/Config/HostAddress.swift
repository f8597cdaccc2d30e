#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks on the `host` key: an IPv4 or IPv6 literal, or `localhost`.
public enum HostAddress {
    public static func isValid(_ host: String) -> Bool {
        host == "localhost" || isIPv4(host) || isIPv6(host)
    }

    /// 127.0.0.0/8, ::1 and localhost: reachable from this machine only.
    /// A name a Host header may carry: letters, digits, `-`, `.`, `_`, or an IPv6 address.
    public static func isHostName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 253 && (isIPv6(name) || name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
    }

    /// `localhost`, a name under `.localhost` (RFC 6761: never resolved elsewhere), `127.0.0.0/8` or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if isIPv4(host) { return host.hasPrefix("127.") }
        if isIPv6(host) {
            var address = in6_addr()
            _ = system_inet_pton(AF_INET6, host, &address)
            let bytes = withUnsafeBytes(of: &address) { Array($0) }
            return bytes == [UInt8](repeating: 0, count: 15) + [1]
                || (bytes[0 ..< 10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127)
        }
        return false
    }

    static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return system_inet_pton(AF_INET, host, &address) == 1
    }

    static func isIPv6(_ host: String) -> Bool {
        var address = in6_addr()
        return system_inet_pton(AF_INET6, host, &address) == 1
    }

    /// The literal to connect to: `localhost` is 127.0.0.1, and a wildcard address is its loopback.
    public static func connectable(_ host: String) -> String {
        switch host {
        case "localhost", "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: host
        }
    }
}
