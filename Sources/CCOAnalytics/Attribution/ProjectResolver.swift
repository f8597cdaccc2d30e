public import CCOCore
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Finds the project a Claude Code session runs in: Claude Code keeps each session's transcript as
/// `<projects>/<cwd with "/" and "." as "-">/<session id>.jsonl`, whose lines carry the `cwd`.
/// The transcript may appear only after the session's first call, so a session not found yet is
/// looked for again on a later call (at most every `retryInterval`).
///
/// Used by the analytics writer, off the request path.
public final class ProjectResolver: Sendable {
    /// `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`.
    public let projectsDirectory: String
    public let retryInterval: Duration
    private struct State {
        var found: [String: String] = [:]
        var lastMiss: [String: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())

    public init(projectsDirectory: String, retryInterval: Duration = .seconds(5)) {
        self.projectsDirectory = projectsDirectory
        self.retryInterval = retryInterval
    }

    /// Claude Code's projects directory for a process with `environment`.
    public convenience init(environment: [String: String]) {
        let base = environment["CLAUDE_CONFIG_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? "") + "/.claude"
        self.init(projectsDirectory: base + "/projects")
    }

    /// The project of `session`, or nil when its transcript is not found (yet).
    ///
    /// - Returns: the project, and whether it was found just now (its earlier calls need it too).
    public func project(ofSession session: String) -> (project: String, isNew: Bool)? {
        guard Self.isSessionID(session) else { return nil }
        let clock = ContinuousClock()
        let cached = state.withLock { state -> (String?, Bool) in
            if let project = state.found[session] { return (project, false) }
            if let miss = state.lastMiss[session], clock.now - miss < retryInterval { return (nil, false) }
            return (nil, true)
        }
        if let project = cached.0 { return (project, false) }
        guard cached.1 else { return nil }
        guard let project = look(for: session) else {
            state.withLock { state in
                state.lastMiss[session] = clock.now
                if state.lastMiss.count > 10_000 { state.lastMiss.removeAll() }
            }
            return nil
        }
        state.withLock { state in
            state.found[session] = project
            state.lastMiss[session] = nil
        }
        return (project, true)
    }

    /// Forgets that `session` was found, so that the next lookup reports it as new again (its
    /// earlier calls could not be given the project).
    public func forget(_ session: String) {
        _ = state.withLock { $0.found.removeValue(forKey: session) }
    }

    /// A session id from a header names a file: letters, digits, `-` and `_` only. Asked of every
    /// Claude Code row the writer stores, so its bytes are read where they lie: a byte at a time
    /// through the string's view costs ~44 instructions. The view is the way for a string whose
    /// bytes are not contiguous (a bridged one on macOS).
    static func isSessionID(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 128 else { return false }
        return text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(ASCII.isWordByte) } ?? text.utf8.allSatisfy(ASCII.isWordByte)
    }

    private func look(for session: String) -> String? {
        guard let directories = try? FileManager.default.contentsOfDirectory(atPath: projectsDirectory) else { return nil }
        for directory in directories.sorted() {
            let transcript = "\(projectsDirectory)/\(directory)/\(session).jsonl"
            guard FileSystem.exists(transcript) else { continue }
            return Self.workingDirectory(inTranscript: transcript) ?? Self.decode(directoryName: directory) ?? directory
        }
        return nil
    }

    /// The `cwd` of the first transcript line that has one (within its first 256 KiB).
    static func workingDirectory(inTranscript path: String) -> String? {
        struct Line: Decodable { var cwd: String? }
        guard let bytes = try? FileSystem.readIfExists(path, limit: 256 << 10) else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let cwd = (try? JSONDecoder().decode(Line.self, from: Data(line)))?.cwd, cwd.hasPrefix("/") { return cwd }
        }
        return nil
    }

    /// The existing directory whose name Claude Code encodes as `name` ("/" and "." became "-"),
    /// found by walking the file system from `/`; nil when none exists.
    static func decode(directoryName name: String, root: String = "") -> String? {
        guard name.hasPrefix("-") else { return nil }
        return walk(root, remaining: Substring(name.dropFirst()))
    }

    private static func walk(_ path: String, remaining: Substring) -> String? {
        if remaining.isEmpty { return path.isEmpty ? "/" : path }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path.isEmpty ? "/" : path) else { return nil }
        for entry in entries.sorted(by: { $0.count > $1.count }) {
            let encoded = entry.replacing("/", with: "-").replacing(".", with: "-")
            guard remaining.hasPrefix(encoded) else { continue }
            let rest = remaining.dropFirst(encoded.count)
            if rest.isEmpty { return path + "/" + entry }
            // A hidden directory (".claude") is encoded as "--claude": the separator, then the dot.
            guard rest.first == "-" else { continue }
            if let found = walk(path + "/" + entry, remaining: rest.dropFirst()) { return found }
        }
        return nil
    }
}
