/// One pass over a JSON document that validates it (RFC 8259) and writes its canonical form: object
/// members sorted by key, insignificant whitespace dropped, strings and numbers kept as written.
/// Two bodies that differ only in key order or whitespace canonicalize to the same bytes.
///
/// Written for the gateway's hot path: the cache key of every request hashes this form, so it does
/// not decode into a generic tree and re-encode sorted; it allocates only its output.
struct CanonicalJSON {
    struct SyntaxError: Error, CustomStringConvertible {
        let offset: Int
        let expected: String
        var description: String { "expected \(expected) at byte \(offset)" }
    }

    /// Where each top-level member's key (between its quotes, escapes as written) and value are in
    /// the input, as offsets from its start, in order: a caller reads the few it wants by name
    /// (``value(named:in:)``) without a string or a dictionary made for every member.
    struct TopLevelMembers {
        var ranges: [(key: Range<Int>, value: Range<Int>)] = []

        /// The range of the value of the member named `name` (spelled without escapes); of the last
        /// one, when the name is repeated, as most JSON readers (the API's among them) take it.
        func value(named name: StaticString, in input: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
            let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            return ranges.last { $0.key.count == wanted.count && input[$0.key].elementsEqual(wanted) }?.value
        }
    }

    /// The canonical bytes.
    let output: [UInt8]
    let topLevel: TopLevelMembers
    /// Whether the document is an object.
    let isObject: Bool

    static let deepestNesting = 512

    init(_ bytes: [UInt8]) throws(SyntaxError) {
        self = try bytes.withUnsafeBufferPointer { (input) throws(SyntaxError) in try CanonicalJSON(input, writing: true) }
    }

    /// Checks `input` and reads its top-level members; with `writing`, also writes its canonical
    /// form (else `output` is empty, and nothing but the members is allocated).
    init(_ input: UnsafeBufferPointer<UInt8>, writing: Bool) throws(SyntaxError) {
        var output: [UInt8] = []
        if writing { output.reserveCapacity(input.count) }
        var members = TopLevelMembers()
        var scanner = Scanner(input: input, writing: writing)
        scanner.skipWhitespace()
        let isObject = scanner.peek == UInt8(ascii: "{")
        try scanner.value(into: &output, depth: 0, topLevel: &members)
        scanner.skipWhitespace()
        guard scanner.position == input.count else { throw scanner.error("the end of the document") }
        self.output = output
        self.topLevel = members
        self.isObject = isObject
    }
}

extension CanonicalJSON.TopLevelMembers {
    fileprivate mutating func note(key: Range<Int>, value: Range<Int>) {
        // A request's or an answer's top level has a handful of members: one allocation, not one
        // at each doubling.
        if ranges.isEmpty { ranges.reserveCapacity(16) }
        ranges.append((key.lowerBound + 1 ..< key.upperBound - 1, value))
    }
}

private struct Scanner {
    let input: UnsafeBufferPointer<UInt8>
    /// Whether the canonical form is written to `out`; when not, the document is only checked.
    let writing: Bool
    var position = 0

    init(input: UnsafeBufferPointer<UInt8>, writing: Bool) {
        self.input = input
        self.writing = writing
    }

    var peek: UInt8? { position < input.count ? input[position] : nil }

    func error(_ expected: String) -> CanonicalJSON.SyntaxError {
        CanonicalJSON.SyntaxError(offset: position, expected: expected)
    }

    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Writes one value's canonical form to `out`. `topLevel` is given only for the outermost value.
    mutating func value(into out: inout [UInt8], depth: Int, topLevel: inout CanonicalJSON.TopLevelMembers) throws(CanonicalJSON.SyntaxError) {
        guard depth < CanonicalJSON.deepestNesting else { throw error("less than \(CanonicalJSON.deepestNesting) levels of nesting") }
        skipWhitespace()
        guard let byte = peek else { throw error("a value") }
        switch byte {
        case UInt8(ascii: "{"): try object(into: &out, depth: depth, topLevel: &topLevel)
        case UInt8(ascii: "["): try array(into: &out, depth: depth, topLevel: &topLevel)
        case UInt8(ascii: "\""): try string(into: &out)
        case UInt8(ascii: "t"): try literal("true", into: &out)
        case UInt8(ascii: "f"): try literal("false", into: &out)
        case UInt8(ascii: "n"): try literal("null", into: &out)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): try number(into: &out)
        default: throw error("a value")
        }
    }

    mutating func object(into out: inout [UInt8], depth: Int, topLevel: inout CanonicalJSON.TopLevelMembers) throws(CanonicalJSON.SyntaxError) {
        position += 1
        if writing { out.append(UInt8(ascii: "{")) }
        let start = out.count
        // Each member is written as `"key":value` at a range of `out`; sorted at the end if needed.
        var members: [(key: Range<Int>, whole: Range<Int>)] = []
        if writing { members.reserveCapacity(8) }
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            if writing { out.append(UInt8(ascii: "}")) }
            return
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw error("a member name in quotes") }
            let memberStart = out.count
            let keyInput = position
            try string(into: &out)
            let keyRange = memberStart ..< out.count
            let keyEnd = position
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("':' after a member name") }
            position += 1
            if writing { out.append(UInt8(ascii: ":")) }
            skipWhitespace()
            let valueInput = position
            var nested = CanonicalJSON.TopLevelMembers()
            try value(into: &out, depth: depth + 1, topLevel: &nested)
            // Strings and literals are written as they are read: the input's bytes are the canonical ones.
            if depth == 0 { topLevel.note(key: keyInput ..< keyEnd, value: valueInput ..< position) }
            if writing { members.append((keyRange, memberStart ..< out.count)) }
            skipWhitespace()
            guard let next = peek else { throw error("',' or '}'") }
            position += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { position -= 1; throw error("',' or '}'") }
            if writing { out.append(UInt8(ascii: ",")) }
        }
        guard writing else { return }
        let sorted = members.indices.dropFirst().allSatisfy { i in
            !out[members[i].key].lexicographicallyPrecedes(out[members[i - 1].key])
        }
        if !sorted {
            let ordered = members.sorted { out[$0.key].lexicographicallyPrecedes(out[$1.key]) }
            var rewritten: [UInt8] = []
            rewritten.reserveCapacity(out.count - start)
            for (index, member) in ordered.enumerated() {
                if index > 0 { rewritten.append(UInt8(ascii: ",")) }
                rewritten.append(contentsOf: out[member.whole])
            }
            out.replaceSubrange(start..., with: rewritten)
        }
        out.append(UInt8(ascii: "}"))
    }

    mutating func array(into out: inout [UInt8], depth: Int, topLevel: inout CanonicalJSON.TopLevelMembers) throws(CanonicalJSON.SyntaxError) {
        position += 1
        if writing { out.append(UInt8(ascii: "[")) }
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            if writing { out.append(UInt8(ascii: "]")) }
            return
        }
        while true {
            var nested = CanonicalJSON.TopLevelMembers()
            try value(into: &out, depth: depth + 1, topLevel: &nested)
            skipWhitespace()
            guard let next = peek else { throw error("',' or ']'") }
            position += 1
            if next == UInt8(ascii: "]") { break }
            guard next == UInt8(ascii: ",") else { position -= 1; throw error("',' or ']'") }
            if writing { out.append(UInt8(ascii: ",")) }
        }
        if writing { out.append(UInt8(ascii: "]")) }
    }

    /// A string, copied as written (escapes included) after checking it.
    mutating func string(into out: inout [UInt8]) throws(CanonicalJSON.SyntaxError) {
        let start = position
        position += 1
        while true {
            position = Self.endOfPlainText(in: input, from: position)
            guard let byte = peek else { throw error("'\"' to close the string that starts at byte \(start)") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                if writing { out.append(contentsOf: input[start ..< position]) }
                return
            case UInt8(ascii: "\\"):
                position += 1
                guard let escaped = peek else { throw error("an escape") }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    position += 1
                    for _ in 0 ..< 4 {
                        guard let hex = peek, Self.isHexDigit(hex) else { throw error("four hex digits after \\u") }
                        position += 1
                    }
                default:
                    throw error("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
            case 0x00 ..< 0x20:
                throw error("no control character inside a string (escape it)")
            default:
                position += 1
            }
        }
    }

    /// The index of the first byte at or after `start` that a string's check must look at (`"`, `\`,
    /// or a control character), or the input's end. Nearly all of a Claude Code request is the text
    /// of its strings (the conversation, tool results, with an escape every few dozen bytes): eight
    /// bytes are tested at a time, with no branch per byte, and the first special one is found
    /// from the test's bits, where a byte at a time took 1.2 ns a byte.
    static func endOfPlainText(in input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = input.baseAddress else { return start }
        let end = input.count
        var index = start
        while index + 8 <= end {
            // The first byte in memory is the lowest in the word, whatever the machine's byte order.
            let found = specialBytes(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return end
    }

    /// The top bit of each byte of `word` that is `"`, `\` or below 0x20, and maybe of bytes after
    /// the first such one, never of one before it: the usual tests for a zero byte (after an XOR
    /// with the byte looked for) and for a byte below a bound, whose borrows run only upwards.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func zeroBytes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let quotes = zeroBytes(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslashes = zeroBytes(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        let controls = (word &- ones &* 0x20) & ~word & highs
        return quotes | backslashes | controls
    }

    mutating func number(into out: inout [UInt8]) throws(CanonicalJSON.SyntaxError) {
        let start = position
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, Self.isDigit(first) else { throw error("a digit") }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard let d = peek, Self.isDigit(d) else { throw error("a digit after '.'") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard let d = peek, Self.isDigit(d) else { throw error("a digit in the exponent") }
            skipDigits()
        }
        if writing { out.append(contentsOf: input[start ..< position]) }
    }

    mutating func literal(_ word: StaticString, into out: inout [UInt8]) throws(CanonicalJSON.SyntaxError) {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard position + bytes.count <= input.count, input[position ..< position + bytes.count].elementsEqual(bytes) else {
            throw error("a value")
        }
        position += bytes.count
        if writing { out.append(contentsOf: bytes) }
    }

    mutating func skipDigits() {
        while let d = peek, Self.isDigit(d) { position += 1 }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }
}

