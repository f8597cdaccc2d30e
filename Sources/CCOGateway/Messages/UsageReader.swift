#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOCore
import CCOAnalytics

/// The `usage` object of a Messages API response or stream event.
struct UsageFields: Decodable, Sendable {
    struct CacheCreation: Decodable, Sendable {
        var ephemeral_5m_input_tokens: Int?
        var ephemeral_1h_input_tokens: Int?
    }
    struct ServerToolUse: Decodable, Sendable {
        var web_search_requests: Int?
    }
    var input_tokens: Int?
    var output_tokens: Int?
    var cache_creation_input_tokens: Int?
    var cache_read_input_tokens: Int?
    var cache_creation: CacheCreation?
    var server_tool_use: ServerToolUse?
    var service_tier: String?

    /// Fields present here replace those of `usage` (a `message_delta` carries cumulative counts, and
    /// may repeat the input side without the split of cache writes by lifetime).
    func applied(to usage: TokenUsage) -> TokenUsage {
        var result = usage
        if let v = input_tokens { result.input = v }
        if let v = output_tokens { result.output = v }
        if let v = cache_read_input_tokens { result.cacheRead = v }
        if let split = cache_creation {
            let oneHour = split.ephemeral_1h_input_tokens ?? 0
            result.cacheWrite1h = oneHour
            result.cacheWrite = split.ephemeral_5m_input_tokens ?? max(0, (cache_creation_input_tokens ?? oneHour) - oneHour)
        } else if let total = cache_creation_input_tokens, total != result.cacheWrite + result.cacheWrite1h {
            // No split: what is not known to be 1-hour is 5-minute.
            result.cacheWrite1h = min(result.cacheWrite1h, total)
            result.cacheWrite = total - result.cacheWrite1h
        }
        if let v = server_tool_use?.web_search_requests { result.webSearchRequests = v }
        return result
    }
}

/// Reads model and usage from a complete (non-streamed) Messages API response body.
enum UsageReader {
    private struct Message: Decodable {
        var model: String?
        var usage: UsageFields?
    }

    typealias Read = (model: String?, usage: TokenUsage, serviceTier: String?)

    /// The response's model, usage and service tier; nil for a body that is not a message (an
    /// error, a model list).
    static func read(_ body: [UInt8]) -> Read? {
        switch scan(body) {
        case .read(let read): return read
        case .unsure: return decode(body)
        }
    }

    private enum Scan {
        case read(Read?)
        /// A shape the scan does not read (an escape in a key or in the model, a count that is
        /// not a plain integer): `JSONDecoder` decides.
        case unsure
    }

    /// The top level's `model` and `usage` by ``JSONObject``: the rest of the answer (its
    /// content) is checked but not decoded.
    private static func scan(_ body: [UInt8]) -> Scan {
        guard let members = JSONObject(body[...]), let read = modelAndUsage(of: members, in: body[...]) else { return .unsure }
        guard let usage = read.usage else { return .read(nil) }
        return .read((read.model, usage.applied(to: .zero), usage.service_tier))
    }

    /// The `model` and `usage` of a message (an answer, a stream's `message_start` or
    /// `message_delta`) from the ranges of its members in `bytes`, each nil when absent or `null`;
    /// nil for a shape the scan does not read, for `JSONDecoder` to read instead.
    static func modelAndUsage(of message: JSONObject, in bytes: ArraySlice<UInt8>) -> (model: String?, usage: UsageFields?)? {
        var usage: UsageFields?
        if let range = message["usage"], !JSONObject.isNull(bytes[range]) {
            guard let fields = UsageFields(scanning: bytes[range]) else { return nil }
            usage = fields
        }
        var model: String?
        if let range = message["model"] {
            guard let value = JSONObject.string(bytes[range]) else { return nil }
            model = value
        }
        return (model, usage)
    }

    private static func decode(_ body: [UInt8]) -> Read? {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(body)), let usage = message.usage else { return nil }
        return (message.model, usage.applied(to: .zero), usage.service_tier)
    }
}

extension UsageFields {
    /// The fields of a `usage` object without `JSONDecoder` (whose set-up and `Codable` calls were
    /// most of a short call's reading cost); nil where one is not a plain integer, string or
    /// `null`, for `JSONDecoder` to read instead.
    init?(scanning bytes: ArraySlice<UInt8>) {
        guard let members = JSONObject(bytes) else { return nil }
        func int(_ key: StaticString, of object: JSONObject) -> Int?? {
            guard let range = object[key] else { return .some(nil) }
            return JSONObject.int(bytes[range])
        }
        guard let input = int("input_tokens", of: members), let output = int("output_tokens", of: members),
              let creation = int("cache_creation_input_tokens", of: members), let read = int("cache_read_input_tokens", of: members)
        else { return nil }
        input_tokens = input
        output_tokens = output
        cache_creation_input_tokens = creation
        cache_read_input_tokens = read
        if let range = members["cache_creation"], !JSONObject.isNull(bytes[range]) {
            guard let split = JSONObject(bytes[range]), let fiveMinutes = int("ephemeral_5m_input_tokens", of: split),
                  let oneHour = int("ephemeral_1h_input_tokens", of: split) else { return nil }
            cache_creation = CacheCreation(ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: oneHour)
        }
        if let range = members["server_tool_use"], !JSONObject.isNull(bytes[range]) {
            guard let tools = JSONObject(bytes[range]), let searches = int("web_search_requests", of: tools) else { return nil }
            server_tool_use = ServerToolUse(web_search_requests: searches)
        }
        if let range = members["service_tier"] {
            guard let tier = JSONObject.string(bytes[range]) else { return nil }
            service_tier = tier
        }
    }
}

/// A JSON object's top-level values as ranges of the bytes that hold it, found by ``CanonicalJSON``'s
/// check (which writes nothing); nil unless the bytes are one valid JSON object whose keys have no
/// escapes. The scalar readers take the plain forms an API answer writes and return nil for others.
struct JSONObject {
    private let bytes: ArraySlice<UInt8>
    /// Its members, at offsets from the start of `bytes`.
    private let members: CanonicalJSON.TopLevelMembers

    init?(_ bytes: ArraySlice<UInt8>) {
        guard let document = bytes.withUnsafeBufferPointer({ try? CanonicalJSON($0, writing: false) }), document.isObject,
              // A key spelled with an escape (`"\u0075sage"`) would be missed by its plain name.
              !document.topLevel.ranges.contains(where: { bytes[bytes.startIndex + $0.key.lowerBound ..< bytes.startIndex + $0.key.upperBound]
                  .contains(UInt8(ascii: "\\")) }) else { return nil }
        self.bytes = bytes
        members = document.topLevel
    }

    /// The range (indices of `bytes`) of the value named `name`; of the last, when the name is repeated.
    subscript(name: StaticString) -> Range<Int>? {
        let base = bytes.startIndex
        return bytes.withUnsafeBufferPointer { members.value(named: name, in: $0) }
            .map { base + $0.lowerBound ..< base + $0.upperBound }
    }

    static func isNull(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.elementsEqual("null".utf8)
    }

    /// A non-negative integer within `Int`, or `null` (`.some(nil)`).
    static func int(_ bytes: ArraySlice<UInt8>) -> Int?? {
        if isNull(bytes) { return .some(nil) }
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return .some(value)
    }

    /// A string with no escape in it, or `null` (`.some(nil)`).
    static func string(_ bytes: ArraySlice<UInt8>) -> String?? {
        if isNull(bytes) { return .some(nil) }
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\""),
              !bytes.contains(UInt8(ascii: "\\")) else { return nil }
        return .some(String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self))
    }
}

/// Follows a `text/event-stream` Messages API response as its chunks pass through, to learn the
/// usage: `message_start` carries the input and prompt-cache counts, each `message_delta` the
/// cumulative output count. Chunks may split lines and events anywhere.
///
/// A line within one chunk is read where it lies; only a line split across chunks is copied, and
/// the data of an event named as one that carries no usage (the content blocks, `ping`: nearly all
/// of a stream) is not kept. What it keeps between events is let go of: a stream holds its scanner
/// for minutes.
struct StreamUsageScanner: Sendable {
    private(set) var model: String?
    private(set) var usage = TokenUsage.zero
    private(set) var serviceTier: String?
    /// Whether a `message_stop` event arrived (the stream was complete).
    private(set) var completed = false
    /// The start of a line split across chunks.
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    /// Longer lines are text deltas that cannot carry usage; they are skipped, not buffered.
    private static let longestUsefulLine = 1 << 16
    private var skippingLine = false
    /// The current event's `event:` names a type that carries no usage.
    private var skippingEvent = false

    struct Event: Decodable {
        struct Start: Decodable {
            var model: String?
            var usage: UsageFields?
        }
        var type: String
        var message: Start?
        var usage: UsageFields?
    }

    mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        let fed: Void? = bytes.withContiguousStorageIfAvailable { feed(contiguous: UnsafeRawBufferPointer($0)) }
        if fed == nil { Array(bytes).withUnsafeBytes { feed(contiguous: $0) } }
    }

    /// A chunk as it lies in memory (a stream's read, in its buffer): its lines are found by
    /// `memchr`, many bytes at a time, not byte by byte through a collection's indices.
    mutating func feed(contiguous bytes: UnsafeRawBufferPointer) {
        var start = 0
        while let newline = bytes.firstOffset(of: UInt8(ascii: "\n"), from: start) {
            if line.isEmpty, !skippingLine {
                endLine(bytes[start ..< newline])
            } else {
                take(bytes[start ..< newline])
                if !skippingLine { endLine(line[...]) }
                line = []
            }
            skippingLine = false
            start = newline + 1
        }
        take(bytes[start...])
    }

    /// Part of a line that goes on in the next chunk.
    private mutating func take(_ part: some Collection<UInt8>) {
        guard !skippingLine, !part.isEmpty else { return }
        if line.count + part.count > Self.longestUsefulLine {
            skippingLine = true
            line = []
        } else {
            line.append(contentsOf: part)
        }
    }

    private static let dataField = Array("data:".utf8)
    private static let eventField = Array("event:".utf8)
    /// Events that never carry usage.
    private static let eventsWithoutUsage: [[UInt8]] = ["content_block_delta", "content_block_start", "content_block_stop", "ping"].map { Array($0.utf8) }

    private mutating func endLine<Line: BidirectionalCollection<UInt8>>(_ whole: Line) {
        var line = whole[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if line.isEmpty {
            dispatch()
            return
        }
        if line.starts(with: Self.eventField) {
            let name = line.dropFirst(Self.eventField.count).trimmingLeadingSpace()
            skippingEvent = Self.eventsWithoutUsage.contains { name.count == $0.count && name.elementsEqual($0) }
            return
        }
        guard !skippingEvent, line.starts(with: Self.dataField) else { return }
        if !data.isEmpty { data.append(UInt8(ascii: "\n")) }
        data.append(contentsOf: line.dropFirst(Self.dataField.count).trimmingLeadingSpace())
    }

    private mutating func dispatch() {
        skippingEvent = false
        defer { data = [] }
        guard !data.isEmpty, Self.mentionsMessageEvent(data) else { return }
        guard let event = Self.scanned(data[...]) ?? (try? JSONDecoder().decode(Event.self, from: Data(data))) else { return }
        switch event.type {
        case "message_start":
            if let model = event.message?.model { self.model = model }
            if let fields = event.message?.usage {
                usage = fields.applied(to: usage)
                serviceTier = fields.service_tier ?? serviceTier
            }
        case "message_delta":
            if let fields = event.usage {
                usage = fields.applied(to: usage)
                serviceTier = fields.service_tier ?? serviceTier
            }
        case "message_stop":
            completed = true
        default:
            break
        }
    }

    /// The event's type, and the model and usage of a `message_*` event, by ``JSONObject``; nil
    /// for a shape it does not read (an escape, a count that is not a plain integer), which
    /// `JSONDecoder` then reads.
    static func scanned(_ data: ArraySlice<UInt8>) -> Event? {
        guard let members = JSONObject(data), let typeRange = members["type"],
              let type = JSONObject.string(data[typeRange]), let type else { return nil }
        var event = Event(type: type)
        switch type {
        case "message_start":
            guard let range = members["message"] else { return event }
            guard let message = JSONObject(data[range]), let read = UsageReader.modelAndUsage(of: message, in: data) else { return nil }
            event.message = Event.Start(model: read.model, usage: read.usage)
        case "message_delta":
            guard let read = UsageReader.modelAndUsage(of: members, in: data) else { return nil }
            event.usage = read.usage
        default:
            break
        }
        return event
    }

    /// A cheap test before decoding: only `message_*` events are of interest.
    private static func mentionsMessageEvent(_ data: [UInt8]) -> Bool {
        let needle = Array("\"message_".utf8)
        guard data.count >= needle.count else { return false }
        for start in 0 ... (data.count - needle.count) where data[start] == needle[0] {
            if data[start ..< start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}

private extension Collection<UInt8> where SubSequence == Self {
    /// Without the one space that may follow a field's colon.
    func trimmingLeadingSpace() -> SubSequence {
        first == UInt8(ascii: " ") ? dropFirst() : self
    }
}
