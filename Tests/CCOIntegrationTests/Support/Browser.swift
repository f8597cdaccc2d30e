import Foundation

/// A real headless Chromium (Debian's `chromium`), driven over the DevTools protocol by
/// Fixtures/browser: open a page, evaluate JavaScript in it, wait for a condition, take
/// screenshots, and read back every console error, exception and URL it requested.
final class Browser {
    static let driver: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures/browser").path
    }()

    /// Chromium on PATH.
    static let available: Bool = {
        ["chromium", "chromium-browser", "google-chrome"].contains { name in
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
            }
        }
    }()

    struct Report {
        let consoleErrors: [String]
        let exceptions: [String]
        let requests: [String]
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.driver]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        _ = try? send(["cmd": "close"], expectingReply: false)
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
    }

    @discardableResult
    private func send(_ command: [String: Any], expectingReply: Bool = true) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: command)
        line.append(0x0a)
        try input.fileHandleForWriting.write(contentsOf: line)
        guard expectingReply else { return [:] }
        while !buffered.contains(0x0a) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestFailure("the browser driver exited (is chromium installed?)") }
            buffered.append(chunk)
        }
        let end = buffered.firstIndex(of: 0x0a)!
        let reply = buffered[buffered.startIndex ..< end]
        buffered = Data(buffered[buffered.index(after: end)...])
        guard let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
            throw TestFailure("the browser driver answered \(String(decoding: reply, as: UTF8.self))")
        }
        if let error = object["error"] as? String { throw TestFailure("browser: \(error)") }
        return object
    }

    /// Loads `url` (waiting for its load event) in a `width`×`height` window and colour scheme.
    func open(_ url: String, width: Int = 1280, height: Int = 800, scheme: String = "light") throws {
        try send(["cmd": "open", "url": url, "width": width, "height": height, "scheme": scheme])
    }

    /// Resizes the window and switches the colour scheme of the open page.
    func view(width: Int, height: Int, scheme: String) throws {
        try send(["cmd": "view", "width": width, "height": height, "scheme": scheme])
    }

    /// The value of a JavaScript expression (a promise is awaited), as JSON decodes it.
    func evaluate(_ expression: String) throws -> Any? {
        try send(["cmd": "eval", "expr": expression])["value"]
    }

    func string(_ expression: String) throws -> String? { try evaluate(expression) as? String }

    /// Waits until `expression` is truthy; returns how long that took, in milliseconds.
    @discardableResult
    func wait(_ expression: String, timeout: Double = 5) throws -> Double {
        try send(["cmd": "wait", "expr": expression, "timeout": timeout])["elapsed_ms"] as? Double ?? 0
    }

    /// A PNG of the window.
    func screenshot(to path: String) throws {
        try send(["cmd": "screenshot", "path": path])
    }

    /// Everything the page logged as an error, threw, or requested since the browser started.
    func report() throws -> Report {
        let object = try send(["cmd": "report"])
        return Report(consoleErrors: object["console_errors"] as? [String] ?? [],
                      exceptions: object["exceptions"] as? [String] ?? [],
                      requests: object["requests"] as? [String] ?? [])
    }
}
