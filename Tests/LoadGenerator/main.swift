// A strict HTTP/1.1 load generator for the restart tests and scripts/bench: each connection sends
// one request at a time at a steady rate, keeps the connection alive, and opens a new one only when a
// response says `Connection: close` (with --new-connection-per-request, a new one for every request
// and closes it after the response, as curl, Python's http.client and unpooled SDKs do). It never retries: a refused or reset connection, a response cut
// short, or an unexpected status counts as a failed request.
//
//   load-generator --port N [--path /health] [--method GET] [--body JSON] [--header 'name: value']
//                  [--connections 8] [--rate 400] [--expect-status 200] [--new-connection-per-request]
//
// It runs until its standard input closes (or reads a line), then prints one JSON object:
// {"sent", "ok", "failed", "errors": {reason: count}, "reconnects", "longest_request_ms",
//  "longest_gap_ms", "p50_ms", "p99_ms", "first_failures"}; longest_gap_ms is the longest time in which no response
// completed, from the first response to the last.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

struct Options {
    var port = 3000
    var path = "/health"
    var method = "GET"
    var body: String?
    var headers: [String] = []
    var connections = 8
    var rate = 400.0
    var expectStatus = 200
    var newConnectionPerRequest = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()[...]
        while let flag = rest.popFirst() {
            if flag == "--new-connection-per-request" { newConnectionPerRequest = true; continue }
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--port": port = Int(value) ?? port
            case "--path": path = value
            case "--method": method = value
            case "--body": body = value
            case "--header": headers.append(value)
            case "--connections": connections = Int(value) ?? connections
            case "--rate": rate = Double(value) ?? rate
            case "--expect-status": expectStatus = Int(value) ?? expectStatus
            default: fatalError("unknown flag \(flag)")
            }
        }
    }

    var request: [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body }
        else { text += "\r\n" }
        return Array(text.utf8)
    }
}

struct Tally {
    var sent = 0
    var ok = 0
    var errors: [String: Int] = [:]
    var reconnects = 0
    var latencies: [Double] = []
    var completions: [Double] = []
    /// The first failures: seconds since the start, and why.
    var firstFailures: [String] = []
}

let options = Options(CommandLine.arguments)
let tally = Mutex(Tally())
let running = Atomic<Bool>(true)
let start = ContinuousClock.now
func seconds(since instant: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - instant
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

enum Failure: Error { case reason(String) }

/// One connection to 127.0.0.1:port.
final class Connection {
    let fd: CInt
    var buffer: [UInt8] = []
    /// The client's own port, which names the connection in a failure report.
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return named == 0 ? Int(UInt16(bigEndian: address.sin_port)) : 0
    }

    init(port: Int) throws {
        fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: CInt = 1
        setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            // deinit closes the descriptor (it runs for a class whose init throws once all is set).
            throw Failure.reason("connect: " + String(cString: strerror(errno)))
        }
    }

    deinit { close(fd) }

    /// Sends the request and reads one whole response; returns its status and whether the server
    /// said `Connection: close`.
    func exchange(_ request: [UInt8]) throws -> (status: Int, close: Bool) {
        var offset = 0
        while offset < request.count {
            let n = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure.reason("send: " + String(cString: strerror(errno))) }
            offset += n
        }
        // Head
        var headEnd: Int?
        while headEnd == nil {
            if let range = find([13, 10, 13, 10]) { headEnd = range } else { try fill() }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        let lines = head.split(separator: "\r\n")
        let statusWords = lines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { throw Failure.reason("malformed status line") }
        var length: Int?
        var chunked = false
        var close = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces).lowercased()
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding", value.contains("chunked") { chunked = true }
            if name == "connection", value == "close" { close = true }
        }
        if chunked {
            while true {
                var lineEnd = find([13, 10])
                while lineEnd == nil { try fill(); lineEnd = find([13, 10]) }
                let size = Int(String(decoding: buffer[..<lineEnd!], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { try fill() }
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            let length = length ?? 0
            while buffer.count < length { try fill() }
            buffer.removeFirst(length)
        }
        return (status, close)
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0 ... buffer.count - pattern.count where buffer[i] == pattern[0] && Array(buffer[i ..< i + pattern.count]) == pattern { return i }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw Failure.reason("connection closed before the response ended") }
        if n < 0 { throw Failure.reason("recv: " + String(cString: strerror(errno))) }
        buffer += chunk[..<n]
    }
}

let request = options.request
let interval = Double(options.connections) / options.rate
var threads: [Thread] = []
for index in 0 ..< options.connections {
    let thread = Thread {
        var connection: Connection?
        // Spread the connections' start over one interval.
        var next = ContinuousClock.now + .seconds(interval * Double(index) / Double(options.connections))
        while running.load(ordering: .relaxed) {
            let now = ContinuousClock.now
            if next > now {
                let wait = (next - now).components
                Thread.sleep(forTimeInterval: Double(wait.seconds) + Double(wait.attoseconds) / 1e18)
            }
            next = next + .seconds(interval)
            guard running.load(ordering: .relaxed) else { break }
            let began = ContinuousClock.now
            tally.withLock { $0.sent += 1 }
            do {
                if connection == nil {
                    connection = try Connection(port: options.port)
                    tally.withLock { $0.reconnects += 1 }
                }
                let (status, close) = try connection!.exchange(request)
                let latency = seconds(since: began)
                let completed = seconds(since: start)
                if close || options.newConnectionPerRequest { connection = nil }
                tally.withLock {
                    if status == options.expectStatus {
                        $0.ok += 1
                        $0.latencies.append(latency)
                        $0.completions.append(completed)
                    } else {
                        $0.errors["status \(status)", default: 0] += 1
                    }
                }
            } catch {
                let port = connection?.localPort
                connection = nil
                let reason: String
                if case Failure.reason(let text) = error { reason = text } else { reason = "\(error)" }
                let at = seconds(since: start)
                tally.withLock {
                    $0.errors[reason, default: 0] += 1
                    if $0.firstFailures.count < 20 {
                        $0.firstFailures.append(String(format: "%.3f s: ", at) + reason + (port.map { " (client port \($0))" } ?? ""))
                    }
                }
            }
        }
    }
    threads.append(thread)
    thread.start()
}

print("running", to: &standardError)
_ = readLine()
running.store(false, ordering: .relaxed)
Thread.sleep(forTimeInterval: interval + 0.5)

let result = tally.withLock { $0 }
let sorted = result.latencies.sorted()
func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
let completions = result.completions.sorted()
var gap = 0.0
for (a, b) in zip(completions, completions.dropFirst()) { gap = max(gap, b - a) }
let failed = result.errors.values.reduce(0, +)
let json: [String: Any] = [
    "sent": result.sent, "ok": result.ok, "failed": failed, "errors": result.errors, "reconnects": result.reconnects,
    "longest_request_ms": (sorted.last ?? 0) * 1000, "longest_gap_ms": gap * 1000,
    "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "first_failures": result.firstFailures,
]
let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
nonisolated(unsafe) var standardError = StandardError()
