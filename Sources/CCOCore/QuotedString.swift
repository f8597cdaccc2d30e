/// A string in double quotes with the escapes TOML's basic strings and JSON share: `\"`, `\\`, `\b`,
/// `\t`, `\n`, `\f`, `\r`, and `\u00XX` for other control characters; everything else as it is.
/// Used for values cco writes back into `config.toml` and into Claude Code's `settings.json`.
public enum QuotedString {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
