import NIOHTTP1

/// Header names matched in any case, byte by byte on a name's own storage, with no string made:
/// every field of every call is matched against these, in the case its sender wrote it.
public struct HeaderNames: Sendable {
    /// Lowercase, as HTTP's field names are written: letters, digits and `-`.
    private let names: [[UInt8]]
    /// The longest name's length in bytes.
    let longest: Int
    /// Bit `n` set when a name is `n` bytes long (bit 63 for every length from 63 up): most
    /// fields are told apart from every name by their length alone, before any name is looked at.
    let lengths: UInt64

    public init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
        longest = self.names.map(\.count).max() ?? 0
        lengths = self.names.reduce(0) { $0 | Self.bit(forLength: $1.count) }
    }

    static func bit(forLength length: Int) -> UInt64 {
        1 << UInt64(min(length, 63))
    }

    /// Whether `name` is one of the names, in any case.
    public func contains(_ name: String) -> Bool {
        index(of: name) != nil
    }

    /// Which of the names `name` is (its place in the list given), in any case; nil for none.
    public func index(of name: String) -> Int? {
        guard lengths & Self.bit(forLength: name.utf8.count) != 0 else { return nil }
        return firstMatch(name) { bytes, candidate in bytes.count == candidate.count && Self.same(bytes, candidate) }
    }

    /// Whether `name` begins with one of the names, in any case.
    func isPrefix(of name: String) -> Bool {
        firstMatch(name) { bytes, candidate in
            bytes.count >= candidate.count && Self.same(UnsafeBufferPointer(rebasing: bytes[..<candidate.count]), candidate)
        } != nil
    }

    /// The index of the first of the names that `match` takes `name` for.
    private func firstMatch(_ name: String, _ match: (UnsafeBufferPointer<UInt8>, [UInt8]) -> Bool) -> Int? {
        let found = name.utf8.withContiguousStorageIfAvailable { bytes in names.firstIndex { match(bytes, $0) } }
        if let found { return found }
        // A name not stored as UTF-8 (bridged): copied once.
        return Array(name.utf8).withUnsafeBufferPointer { bytes in names.firstIndex { match(bytes, $0) } }
    }

    /// `bytes` is `lowercase` with none or some of its letters in upper case.
    private static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: [UInt8]) -> Bool {
        for index in lowercase.indices {
            let byte = bytes[index], wanted = lowercase[index]
            guard byte == wanted || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == wanted) else { return false }
        }
        return true
    }
}

extension HeaderNames {
    /// Hands `found` the first value of each of the names (at most 64) in `headers`, with that
    /// name's index, in one pass over the fields that ends once every name has been found: a
    /// request read field by field for each name costs a pass a name, and Claude Code's carry two
    /// dozen fields.
    func firstValues(in headers: HTTPHeaders, _ found: (_ index: Int, _ value: String) -> Void) {
        precondition(names.count <= 64, "at most 64 names at once")
        var missing: UInt64 = names.count == 64 ? .max : (1 << UInt64(names.count)) - 1
        for (name, value) in headers {
            guard let index = index(of: name), missing & (1 << UInt64(index)) != 0 else { continue }
            found(index, value)
            missing &= ~(1 << UInt64(index))
            if missing == 0 { return }
        }
    }
}
