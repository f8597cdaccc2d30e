import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOAnalytics
import CCOCore
import NIOCore
import Synchronization
import Testing
@testable import CCOGateway

@Suite struct CanonicalRequestTests {
    @Test func keyOrderAndWhitespaceDoNotChangeTheCanonicalForm() throws {
        let a = try MessagesRequest(body: Array(#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
        let b = try MessagesRequest(body: Array("{ \"messages\" : [ {\"content\":\"hi\", \"role\":\"user\"} ],\n \"max_tokens\": 5, \"model\": \"m\" }".utf8))
        #expect(a.canonicalBody == b.canonicalBody)
        #expect(a.model == "m")
        #expect(!a.stream)
    }

    @Test func anyChangedFieldChangesTheCanonicalForm() throws {
        let base = #"{"model":"m","max_tokens":5,"temperature":0.5,"messages":[{"role":"user","content":"hi"}]}"#
        let variants = [
            #"{"model":"m","max_tokens":6,"temperature":0.5,"messages":[{"role":"user","content":"hi"}]}"#,
            #"{"model":"m","max_tokens":5,"temperature":0.7,"messages":[{"role":"user","content":"hi"}]}"#,
            #"{"model":"m","max_tokens":5,"temperature":0.5,"messages":[{"role":"user","content":"hi!"}]}"#,
            #"{"model":"m","max_tokens":5,"temperature":0.5,"messages":[{"role":"user","content":"hi"}],"system":"x"}"#,
        ]
        let canonical = try MessagesRequest(body: Array(base.utf8)).canonicalBody
        for variant in variants {
            #expect(try MessagesRequest(body: Array(variant.utf8)).canonicalBody != canonical, "\(variant)")
        }
    }

    @Test func streamIsRead() throws {
        #expect(try MessagesRequest(body: Array(#"{"model":"m","stream":true}"#.utf8)).stream)
    }

    @Test(arguments: ["{\"model\":", "[1,2]", "", "not json"])
    func aBodyThatIsNotAJSONObjectIsRefusedWithAReason(body: String) {
        #expect(throws: MessagesRequest.Malformed.self) { try MessagesRequest(body: Array(body.utf8)) }
    }
}

@Suite struct CacheKeyTests {
    func key(credential: String? = "sk-a", version: String? = "2023-06-01", beta: String? = nil, path: String = "/v1/messages",
             body: String = "{}") -> String {
        CacheKey(credential: credential, upstream: "https://api.anthropic.com", method: "POST", path: path,
                 anthropicVersion: version, anthropicBeta: beta, canonicalBody: Array(body.utf8)).hex
    }

    @Test func theSameRequestHasTheSameKey() {
        #expect(key() == key())
        #expect(key().count == 64)
    }

    @Test func credentialVersionBetaPathAndBodyEachScopeTheKey() {
        let base = key()
        #expect(key(credential: "sk-b") != base)
        #expect(key(credential: nil) != base)
        #expect(key(version: "2024-01-01") != base)
        #expect(key(beta: "prompt-caching-2024-07-31") != base)
        #expect(key(path: "/v1/messages/count_tokens") != base)
        #expect(key(body: "{\"a\":1}") != base)
    }

    @Test func theKeyDoesNotContainTheCredential() {
        #expect(!key(credential: "sk-ant-secret").contains("sk-ant-secret"))
        #expect(!CacheKey.credentialScope("sk-ant-secret").contains("secret"))
    }
}

@Suite struct UsageTests {
    static let stream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"m1","model":"claude-haiku-4-5","usage":{"input_tokens":120,"cache_creation_input_tokens":7,"cache_read_input_tokens":11,"output_tokens":1}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"about message_delta"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test func aStreamsUsageIsReadWhateverTheChunkBoundaries() {
        let bytes = Array(Self.stream.utf8)
        for chunkSize in [1, 2, 3, 7, 64, bytes.count] {
            var scanner = StreamUsageScanner()
            var offset = 0
            while offset < bytes.count {
                scanner.feed(bytes[offset ..< min(offset + chunkSize, bytes.count)])
                offset += chunkSize
            }
            #expect(scanner.model == "claude-haiku-4-5")
            #expect(scanner.usage == TokenUsage(input: 120, output: 42, cacheRead: 11, cacheWrite: 7), "chunk size \(chunkSize)")
            #expect(scanner.completed)
        }
    }

    /// Only the data of events named as content blocks or pings is passed over unread; an event
    /// under any other name is read by its data's type.
    /// A read as it lies in a buffer (the gateway feeds a stream's reads so), in chunks of every
    /// size, reads as the same bytes given as an array do.
    @Test func aStreamFedFromItsBuffersReadsAsFedFromArrays() {
        let bytes = Array(Self.stream.utf8)
        for chunkSize in [1, 5, 64, bytes.count] {
            var scanner = StreamUsageScanner()
            var buffer = ByteBuffer()
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                buffer.clear()
                buffer.writeBytes(bytes[start ..< min(start + chunkSize, bytes.count)])
                buffer.withUnsafeReadableBytes { scanner.feed(contiguous: $0) }
            }
            #expect(scanner.usage == TokenUsage(input: 120, output: 42, cacheRead: 11, cacheWrite: 7), "chunk size \(chunkSize)")
            #expect(scanner.completed)
        }
    }

    @Test func aByteIsFoundFromWhereTheSearchStarts() {
        let bytes: [UInt8] = Array("ab\ncd\n".utf8)
        bytes.withUnsafeBytes { raw in
            #expect(raw.firstOffset(of: UInt8(ascii: "\n"), from: 0) == 2)
            #expect(raw.firstOffset(of: UInt8(ascii: "\n"), from: 2) == 2)
            #expect(raw.firstOffset(of: UInt8(ascii: "\n"), from: 3) == 5)
            #expect(raw.firstOffset(of: UInt8(ascii: "\n"), from: 6) == nil)
            #expect(raw.firstOffset(of: UInt8(ascii: "x"), from: 0) == nil)
        }
        #expect(UnsafeRawBufferPointer(start: nil, count: 0).firstOffset(of: 0, from: 0) == nil)
    }

    @Test func eventsAreSkippedByTheirNameOnlyWhenItCarriesNoUsage() {
        let stream = """
            event: usage
            data: {"type":"message_delta","usage":{"output_tokens":7}}

            event: content_block_delta
            data: {"type":"message_delta","usage":{"output_tokens":999}}

            event:ping
            data: {"type":"message_delta","usage":{"output_tokens":998}}

            data: {"type":"message_stop"}


            """
        for chunkSize in [1, 5, stream.utf8.count] {
            var scanner = StreamUsageScanner()
            let bytes = Array(stream.utf8)
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                scanner.feed(bytes[start ..< min(start + chunkSize, bytes.count)])
            }
            #expect(scanner.usage.output == 7, "chunk size \(chunkSize)")
            #expect(scanner.completed)
        }
    }

    @Test func crlfLineEndingsWorkToo() {
        var scanner = StreamUsageScanner()
        scanner.feed(Array(Self.stream.replacing("\n", with: "\r\n").utf8))
        #expect(scanner.usage.output == 42)
    }

    @Test func aCompleteMessagesUsageIsRead() throws {
        let body = #"{"id":"m","model":"claude-opus-4-5","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":5,"cache_creation_input_tokens":6}}"#
        let read = try #require(UsageReader.read(Array(body.utf8)))
        #expect(read.model == "claude-opus-4-5")
        #expect(read.usage == TokenUsage(input: 3, output: 4, cacheRead: 5, cacheWrite: 6))
        #expect(UsageReader.read(Array(#"{"type":"error","error":{"type":"api_error"}}"#.utf8)) == nil)
    }

    /// Claude Code's shape: prompt caching with 5-minute and 1-hour writes split in `cache_creation`,
    /// web searches, the service tier; `message_delta` repeats the input side without the split.
    static let claudeCodeStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-4-7","usage":{"input_tokens":4,"cache_creation_input_tokens":3000,"cache_read_input_tokens":20000,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},"output_tokens":1,"service_tier":"standard"}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":4,"cache_creation_input_tokens":3000,"cache_read_input_tokens":20000,"output_tokens":350,"server_tool_use":{"web_search_requests":2}}}


        """

    @Test func oneHourWritesWebSearchesAndTheTierAreReadFromAStream() {
        var scanner = StreamUsageScanner()
        scanner.feed(Array(Self.claudeCodeStream.utf8))
        #expect(scanner.usage == TokenUsage(input: 4, output: 350, cacheRead: 20000, cacheWrite: 1000, cacheWrite1h: 2000, webSearchRequests: 2))
        #expect(scanner.serviceTier == "standard")
        #expect(!scanner.completed, "no message_stop: the stream is incomplete")
        scanner.feed(Array("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".utf8))
        #expect(scanner.completed)
    }

    /// Claude Code's `message_start` and `message_delta` are read without `JSONDecoder`; shapes the
    /// scan does not read (an escaped key or model, a float count) are decoded, to the same usage.
    @Test func streamEventsAreScannedAndOddShapesDecoded() throws {
        let messageEvents = Self.claudeCodeStream.split(separator: "\n").filter { $0.hasPrefix("data: {\"type\":\"message_") }
        #expect(messageEvents.count == 2)
        for line in messageEvents {
            #expect(StreamUsageScanner.scanned(Array(line.utf8).dropFirst(6)) != nil, "\(line)")
        }
        let odd = """
            data: {"type":"message_start","message":{"model":"claude\\u002dx","usage":{"input_tokens":4,"output_tokens":1}}}

            data: {"type":"message_delta","\\u0075sage":{"output_tokens":9}}

            data: {"type":"message_delta","usage":{"output_tokens":12.0}}


            """
        var scanner = StreamUsageScanner()
        scanner.feed(Array(odd.utf8))
        #expect(scanner.model == "claude-x")
        #expect(scanner.usage == TokenUsage(input: 4, output: 12))
        for line in odd.split(separator: "\n") {
            #expect(StreamUsageScanner.scanned(Array(line.utf8).dropFirst(6)) == nil, "\(line)")
        }
    }

    @Test func aBodyWithTheSplitAndSearchesIsRead() throws {
        let body = #"{"model":"claude-sonnet-5","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":5,"cache_creation_input_tokens":6,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":6},"server_tool_use":{"web_search_requests":1},"service_tier":"priority"}}"#
        let read = try #require(UsageReader.read(Array(body.utf8)))
        #expect(read.usage == TokenUsage(input: 3, output: 4, cacheRead: 5, cacheWrite: 0, cacheWrite1h: 6, webSearchRequests: 1))
        #expect(read.serviceTier == "priority")
    }
}

@Suite struct UsageScanTests {
    /// An answer whose content mentions `usage` in text, in a tool's input and in nested arrays:
    /// only the top level's `usage` counts.
    static let answer = #"""
        {"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-7",
         "content":[{"type":"text","text":"the \"usage\": {\"input_tokens\": 999} field, braces }]{["},
                    {"type":"tool_use","id":"t","name":"n","input":{"usage":{"input_tokens":77},"list":[[1,2],{"a":"]"}]}}],
         "stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":4000,
                  "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},
                  "output_tokens":56,"server_tool_use":{"web_search_requests":3},"service_tier":"standard"}}
        """#

    @Test func theTopLevelUsageIsReadAndTheContentSkipped() throws {
        let read = try #require(UsageReader.read(Array(Self.answer.utf8)))
        #expect(read.model == "claude-opus-4-7")
        #expect(read.usage == TokenUsage(input: 12, output: 56, cacheRead: 4000, cacheWrite: 100, cacheWrite1h: 200, webSearchRequests: 3))
        #expect(read.serviceTier == "standard")
        let bytes = Array(Self.answer.utf8)
        let object = try #require(JSONObject(bytes[...]), "read by the scan, not by JSONDecoder")
        #expect(UsageFields(scanning: bytes[try #require(object["usage"])]) != nil)
    }

    @Test func anObjectsValuesAreFoundAsRangesAndBrokenOnesAreRefused() throws {
        let bytes = Array(#"xx { "a" : [1, {"b": "}"}] , "c":"x\"y", "d": -1.5e3, "e": null }  "#.utf8)
        let object = try #require(JSONObject(bytes[2...]))
        #expect(String(decoding: bytes[try #require(object["a"])], as: UTF8.self) == #"[1, {"b": "}"}]"#)
        #expect(String(decoding: bytes[try #require(object["c"])], as: UTF8.self) == #""x\"y""#)
        #expect(String(decoding: bytes[try #require(object["d"])], as: UTF8.self) == "-1.5e3")
        #expect(String(decoding: bytes[try #require(object["e"])], as: UTF8.self) == "null")
        #expect(object["b"] == nil, "a nested member is not one of the object's")
        for broken in [#"{"a":1"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{"a":"1}"#, #"{"a":[1}"#, #"[1]"#, #"{"a":1} x"#, ""] {
            #expect(JSONObject(Array(broken.utf8)[...]) == nil, "\(broken)")
        }
        #expect(try #require(JSONObject(Array("{}".utf8)[...]))["a"] == nil)
        let repeated = Array(#"{"a":1,"a":2}"#.utf8)
        #expect(try #require(JSONObject(repeated[...]))["a"] == 11 ..< 12, "a repeated name is read as its last value")
    }

    /// Shapes the scan leaves to `JSONDecoder`: an escaped key or model, a count written as a
    /// float. The answer is the same as the decoder's.
    @Test func shapesTheScanDoesNotReadAreDecodedInstead() throws {
        let escapedKey = #"{"model":"m","\u0075sage":{"input_tokens":1,"output_tokens":2}}"#
        #expect(try #require(UsageReader.read(Array(escapedKey.utf8))).usage == TokenUsage(input: 1, output: 2))
        let escapedModel = #"{"model":"claude\u002dx","usage":{"input_tokens":1,"output_tokens":2}}"#
        #expect(try #require(UsageReader.read(Array(escapedModel.utf8))).model == "claude-x")
        let float = #"{"input_tokens":1.0,"output_tokens":2}"#
        #expect(UsageFields(scanning: Array(float.utf8)[...]) == nil)
        let decoded = try JSONDecoder().decode(UsageFields.self, from: Data(float.utf8)).applied(to: .zero)
        #expect(UsageReader.read(Array(#"{"model":"m","usage":\#(float)}"#.utf8))?.usage == decoded)
        #expect(UsageReader.read(Array(#"{"model":"m","usage":null}"#.utf8)) == nil)
        #expect(UsageReader.read(Array(#"{"model":"m","usage":{"input_tokens":1,"#.utf8)) == nil)
    }
}

@Suite struct CacheSnapshotTests {
    @Test func aSavedCacheComesBackWithItsRecencyAndRemainingTime() throws {
        var template = Array("/tmp/cco-cache-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { unlink(dir + "/cache.db"); rmdir(dir) }
        let cache = ResponseCache<CachedResponse>(capacityBytes: 10_000, ttl: .seconds(60))
        for name in ["a", "b", "c"] {
            let response = CachedResponse(contentType: "application/json", body: Array("{\"\(name)\":1}".utf8), model: "m",
                                          usage: TokenUsage(input: 1, output: 2), storedAtMilliseconds: 1000)
            cache.put(name, response, bytes: response.cost)
        }
        _ = cache.get("a")
        let now = WallClock.nowMilliseconds()
        #expect(try CacheSnapshot.save(cache, to: dir + "/cache.db", nowMilliseconds: now) == 3)
        #expect(access(dir + "/cache.db.tmp", F_OK) != 0)

        let restored = ResponseCache<CachedResponse>(capacityBytes: 10_000, ttl: .seconds(60))
        // Restored 30 s later: entries keep their remaining 30 s.
        #expect(try CacheSnapshot.restore(into: restored, from: dir + "/cache.db", nowMilliseconds: now + 30_000) == 3)
        #expect(restored.keysByRecency == ["a", "c", "b"])
        #expect(restored.get("b")?.body == Array("{\"b\":1}".utf8))
        let ttl = try #require(restored.liveEntries().first?.timeToLive)
        #expect(ttl <= .seconds(30) && ttl > .seconds(25))
        // A snapshot is used once.
        #expect(access(dir + "/cache.db", F_OK) != 0)
    }

    @Test func expiredEntriesAreNotRestored() throws {
        var template = Array("/tmp/cco-cache-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { unlink(dir + "/cache.db"); rmdir(dir) }
        let cache = ResponseCache<CachedResponse>(capacityBytes: 10_000, ttl: .seconds(10))
        let response = CachedResponse(contentType: "t", body: [1], model: nil, usage: .zero, storedAtMilliseconds: 0)
        cache.put("x", response, bytes: response.cost)
        let now = WallClock.nowMilliseconds()
        try CacheSnapshot.save(cache, to: dir + "/cache.db", nowMilliseconds: now)
        let restored = ResponseCache<CachedResponse>(capacityBytes: 10_000, ttl: .seconds(10))
        #expect(try CacheSnapshot.restore(into: restored, from: dir + "/cache.db", nowMilliseconds: now + 11_000) == 0)
    }
}

@Suite struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: try CanonicalJSON(Array(text.utf8)).output, as: UTF8.self)
    }

    @Test func nestedObjectsAreSortedAndWhitespaceDropped() throws {
        #expect(try canonical(#" { "b" : [ 1 , { "z":true, "a":null } ], "a" : "x y" } "#) == #"{"a":"x y","b":[1,{"a":null,"z":true}]}"#)
    }

    @Test func stringsAndNumbersKeepTheirSpelling() throws {
        #expect(try canonical(#"{"s":"a\"b\\c\u00e9\n","n":[-0.5e+10,0,12.25E-3]}"#) == #"{"n":[-0.5e+10,0,12.25E-3],"s":"a\"b\\c\u00e9\n"}"#)
    }

    @Test func topLevelModelAndStreamAreRead() throws {
        func read(_ text: String) throws -> MessagesRequest { try MessagesRequest(body: ByteBuffer(string: text)) }
        let request = try read(#"{"stream": false, "model": "claude-x", "metadata": {"model": "inner", "stream": true}}"#)
        #expect(request.model == "claude-x")
        #expect(request.stream == false)
        #expect(try read(#"{"model":"a","stream":true,"model":"b"}"#).model == "b", "a repeated name is read as its last value")
        #expect(try read(#"{"model":"a","stream":true}"#).stream)
        #expect(try read(#"{"model":"cl\u0061ude"}"#).model == nil, "a model with an escape is not read")
        #expect(try read(#"{"model":7,"stream":"true"}"#).model == nil)
        #expect(try read(#"{"model":7,"stream":"true"}"#).stream == false)
    }

    @Test(arguments: [
        (#"{"a":1,}"#, "a member name in quotes at byte 7"),
        (#"{"a" 1}"#, "':' after a member name at byte 5"),
        (#"{"a":01}"#, "',' or '}' at byte 6"),
        (#"{"a":"x"#, "'\"' to close the string that starts at byte 5 at byte 7"),
        (#"{"a":tru}"#, "a value at byte 5"),
        (#"{"a":"\q"}"#, "a valid escape"),
        ("{\"a\":\"\u{01}\"}", "no control character inside a string"),
        (#"{} x"#, "the end of the document at byte 3"),
        (#"[1 2]"#, "',' or ']' at byte 3"),
        ("", "a value at byte 0"),
    ])
    func malformedDocumentsSayWhatWasExpectedAndWhere(text: String, expected: String) {
        do {
            _ = try CanonicalJSON(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    /// A string's text is checked eight bytes at a time: its end, an escape and a control character
    /// are each found at every offset, within a word and across two, after text of one, two and
    /// four UTF-8 bytes a character, whose bytes of 0x80 and up stop nothing.
    @Test func aStringsEndEscapesAndControlCharactersAreFoundAtEveryOffset() throws {
        for filler in ["a", "é", "😀"] {
            for length in 0 ..< 20 {
                let text = String(repeating: filler, count: length)
                let member = { (value: String) in "{\"k\":\"\(value)\",\"z\":1}" }
                #expect(try canonical(member(text)) == member(text))
                let escaped = text + #"\"\\\n\u00e9"# + text
                #expect(try canonical(member(escaped)) == member(escaped))
                for control in ["\u{01}", "\n", "\t", "\u{1F}"] {
                    let broken = Array(member(text + control + text).utf8)
                    #expect(throws: CanonicalJSON.SyntaxError.self, "\(length) × \(filler) then \(control.unicodeScalars.first!.value)") {
                        try CanonicalJSON(broken)
                    }
                }
                let unclosed = Array("{\"k\":\"\(text)".utf8)
                #expect(throws: CanonicalJSON.SyntaxError.self) { try CanonicalJSON(unclosed) }
            }
        }
        // 0x7F and 0x20 are not control characters in JSON; a lone quote inside ends the string.
        #expect(try canonical("{\"k\":\"a\u{7F} b\"}") == "{\"k\":\"a\u{7F} b\"}")
        #expect(throws: CanonicalJSON.SyntaxError.self) { try CanonicalJSON(Array(#"{"k":"abcdefgh"ijklmnop"}"#.utf8)) }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: CanonicalJSON.SyntaxError.self) { try CanonicalJSON(Array(deep.utf8)) }
    }

    @Test func whatJSONSerializationAcceptsThisAcceptsWithTheSameMeaning() throws {
        let samples = [
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"héllo \ud83d\ude00"}]}],"max_tokens":1024,"temperature":0.7,"stop_sequences":["\n\nHuman:"],"metadata":{"user_id":"u-1"},"tools":[]}"#,
            #"{"a":{"c":[true,false,null],"b":-1.5e-3}}"#,
        ]
        for sample in samples {
            let canonical = try CanonicalJSON(Array(sample.utf8)).output
            let original = try JSONSerialization.jsonObject(with: Data(sample.utf8)) as? NSDictionary
            let reparsed = try JSONSerialization.jsonObject(with: Data(canonical)) as? NSDictionary
            #expect(original == reparsed)
        }
    }
}

@Suite struct MessagesRequestBodyTests {
    @Test func aBodyInABufferGivesItsModelItsStreamFlagAndOnDemandItsCanonicalForm() throws {
        let parsed = try MessagesRequest(body: ByteBuffer(string: #"{"stream": true, "messages": [{"role": "user", "content": "x"}], "model": "claude-opus-4-7"}"#))
        #expect(parsed.model == "claude-opus-4-7" && parsed.stream)
        #expect(String(decoding: parsed.canonicalBody, as: UTF8.self) == #"{"messages":[{"content":"x","role":"user"}],"model":"claude-opus-4-7","stream":true}"#)
    }
}

extension MessagesRequest {
    init(body: [UInt8]) throws(Malformed) {
        try self.init(body: ByteBuffer(bytes: body))
    }
}
