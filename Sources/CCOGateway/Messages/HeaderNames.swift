/// Header names matched in any case, byte by byte on a name's own storage, with no string made:
/// every field of every call is matched against these, in the case its sender wrote it.
struct HeaderNames: Sendable {
    /// Lowercase, as HTTP's field names are written: letters, digits and `-`.
    private let names: [[UInt8]]
    /// The longest name's length in bytes.
    let longest: Int

    init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
        longest = self.names.map(\.count).max() ?? 0
    }

    /// Whether `name` is one of the names, in any case.
    func contains(_ name: String) -> Bool {
        matches(name) { bytes, candidate in bytes.count == candidate.count && Self.same(bytes, candidate) }
    }

    /// Whether `name` begins with one of the names, in any case.
    func isPrefix(of name: String) -> Bool {
        matches(name) { bytes, candidate in
            bytes.count >= candidate.count && Self.same(UnsafeBufferPointer(rebasing: bytes[..<candidate.count]), candidate)
        }
    }

    private func matches(_ name: String, _ match: (UnsafeBufferPointer<UInt8>, [UInt8]) -> Bool) -> Bool {
        let found = name.utf8.withContiguousStorageIfAvailable { bytes in names.contains { match(bytes, $0) } }
        if let found { return found }
        // A name not stored as UTF-8 (bridged): copied once.
        return Array(name.utf8).withUnsafeBufferPointer { bytes in names.contains { match(bytes, $0) } }
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
