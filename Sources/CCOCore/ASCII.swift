/// Classes of ASCII bytes, for text read as its UTF-8 bytes where only plain ASCII may count (a
/// digit of another script is not a digit here, a letter with an accent not a letter). Inlinable:
/// the callers ask it of every byte of a name or number on a call's way.
public enum ASCII {
    /// `0` to `9`.
    @inlinable public static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A letter of either case, a digit, `-` or `_`: a TOML bare key's bytes, and those a session
    /// id may have to name a file.
    @inlinable public static func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
