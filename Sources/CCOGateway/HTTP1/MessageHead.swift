public import NIOCore
public import NIOHTTP1

/// How a response's body is delimited on the wire (RFC 9112 §6.3). The daemon's server frames
/// every answer itself, from the request it answers and the answer's status and fields: a
/// `Transfer-Encoding` field of a route's or an upstream's is never written.
public enum ResponseFraming: Equatable, Sendable {
    /// No body, whatever the fields say: an answer to `HEAD` (its `Content-Length` kept, saying
    /// what a `GET` would have had), a 1xx, 204 or 304, a 2xx to `CONNECT`.
    case none
    /// The answer's `Content-Length`.
    case length
    /// Chunks, the head saying `Transfer-Encoding: chunked`: an answer of unknown length to an
    /// HTTP/1.1 client, such as a stream of events.
    case chunked
    /// The connection's close: an answer of unknown length to an HTTP/1.0 client, which does not
    /// read chunks.
    case close

    /// The framing of an answer of `status`, with a `Content-Length` field or not, to a request of
    /// `method` and `version`.
    public init(status: HTTPResponseStatus, hasContentLength: Bool, method: HTTPMethod, version: HTTPVersion) {
        let code = status.code
        if method == .HEAD || (100..<200).contains(code) || code == 204 || code == 304 || (method == .CONNECT && (200..<300).contains(code)) {
            self = .none
        } else if hasContentLength {
            self = .length
        } else if version.major > 1 || (version.major == 1 && version.minor >= 1) {
            self = .chunked
        } else {
            self = .close
        }
    }
}

/// The heads of HTTP/1.1 messages as bytes, written in one pass into one buffer: the start line,
/// each field as `name: value`, and the empty line. The fields are written as they are, unchecked:
/// they are what NIO's decoder accepted from a client or an upstream (llhttp refuses a name that is
/// not a token and a value with CR, LF or another control byte), the router's (HTTPFields checks
/// them as they are made), and cco's own.
public enum MessageHead {
    static let transferEncoding = HeaderNames(["transfer-encoding"])
    static let contentLength = HeaderNames(["content-length"])

    /// Whether a response's field is written: not a `Transfer-Encoding` (the server frames the
    /// body), nor a `Content-Length` in a 1xx or a 204 (RFC 9110 §8.6).
    static func writes(_ name: String, code: UInt) -> Bool {
        if transferEncoding.contains(name) { return false }
        if code < 200 || code == 204 { return !contentLength.contains(name) }
        return true
    }

    /// The bytes of `fields` as a head's lines, `name: value` and CRLF each.
    static func length(of fields: HTTPHeaders) -> Int {
        fields.reduce(0) { $0 + length(of: $1.name, $1.value) }
    }

    static func length(of name: String, _ value: String) -> Int {
        name.utf8.count + 2 + value.utf8.count + 2
    }

    static func versionText(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): "HTTP/1.1"
        case (1, 0): "HTTP/1.0"
        default: "HTTP/\(version.major).\(version.minor)"
        }
    }
}

extension ByteBuffer {
    /// The head of an answer to a request of `method` and `version`, framed for it, which it
    /// returns: its fields but a `Transfer-Encoding` (and a `Content-Length` in a 1xx or 204), then
    /// `Transfer-Encoding: chunked` for chunks.
    public mutating func writeResponseHead(_ head: HTTPResponseHead, answering method: HTTPMethod, version requestVersion: HTTPVersion) -> ResponseFraming {
        let version = MessageHead.versionText(head.version)
        let code = head.status.code
        let codeText = (100...999).contains(code) ? nil : String(code)
        let reason = head.status.reasonPhrase
        let chunkedLine: StaticString = "transfer-encoding: chunked\r\n"
        // One pass over the fields counts their bytes and finds the body's length; the fields not
        // written (rare) are checked again as they are written.
        var omitted = 0
        var hasContentLength = false
        var count = version.utf8.count + 1 + (codeText?.utf8.count ?? 3) + 1 + reason.utf8.count + 2
        for (name, value) in head.headers {
            if MessageHead.writes(name, code: code) {
                count += MessageHead.length(of: name, value)
                if !hasContentLength { hasContentLength = MessageHead.contentLength.contains(name) }
            } else {
                omitted += 1
            }
        }
        let framing = ResponseFraming(status: head.status, hasContentLength: hasContentLength, method: method, version: requestVersion)
        if framing == .chunked { count += chunkedLine.utf8CodeUnitCount }
        count += 2
        writeJoined(count: count) { bytes in
            bytes.append(version)
            bytes.append(UInt8(ascii: " "))
            if let codeText {
                bytes.append(codeText)
            } else {
                bytes.append(UInt8(ascii: "0") + UInt8(code / 100))
                bytes.append(UInt8(ascii: "0") + UInt8(code / 10 % 10))
                bytes.append(UInt8(ascii: "0") + UInt8(code % 10))
            }
            bytes.append(UInt8(ascii: " "))
            bytes.append(reason)
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            for (name, value) in head.headers where omitted == 0 || MessageHead.writes(name, code: code) {
                bytes.appendField(name, value)
            }
            if framing == .chunked { bytes.append(chunkedLine) }
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        }
        return framing
    }

    /// The head of a request, its fields as they are: its framing is its own (the gateway gives
    /// a body its `Content-Length`).
    mutating func writeRequestHead(_ head: HTTPRequestHead) {
        let method = head.method.rawValue
        let version = MessageHead.versionText(head.version)
        let count = method.utf8.count + 1 + head.uri.utf8.count + 1 + version.utf8.count + 2 + MessageHead.length(of: head.headers) + 2
        writeJoined(count: count) { bytes in
            bytes.append(method)
            bytes.append(UInt8(ascii: " "))
            bytes.append(head.uri)
            bytes.append(UInt8(ascii: " "))
            bytes.append(version)
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
            for (name, value) in head.headers { bytes.appendField(name, value) }
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        }
    }

    /// A chunk's size line, `1a2b\r\n`.
    public mutating func writeChunkSize(_ size: Int) {
        let digits = size == 0 ? 1 : (Int.bitWidth - size.leadingZeroBitCount + 3) / 4
        writeJoined(count: digits + 2) { bytes in
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                let digit = UInt8((size >> shift) & 0xF)
                bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            }
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        }
    }

    /// The last chunk and the trailer's fields, `0\r\n` … `\r\n`.
    public mutating func writeLastChunk(trailers: HTTPHeaders?) {
        let count = 3 + MessageHead.length(of: trailers ?? [:]) + 2
        writeJoined(count: count) { bytes in
            bytes.append("0\r\n")
            for (name, value) in trailers ?? [:] { bytes.appendField(name, value) }
            bytes.append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        }
    }
}

extension JoinedBytes {
    /// A head's line for a field: `name: value` and CRLF.
    @inline(__always)
    mutating func appendField(_ name: String, _ value: String) {
        append(name)
        append(UInt8(ascii: ":"), UInt8(ascii: " "))
        append(value)
        append(UInt8(ascii: "\r"), UInt8(ascii: "\n"))
    }
}
