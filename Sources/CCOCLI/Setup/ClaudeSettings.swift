/// The two things `cco setup claude-code` writes into Claude Code's `settings.json`: the gateway's
/// address in `env.ANTHROPIC_BASE_URL`, and `statusLine` running `cco statusline`. Every other key
/// stays as it was, in its place.
struct ClaudeSettings {
    struct Change: Hashable {
        let key: String
        let old: String?
        let new: String
    }

    struct Edit {
        let text: String
        let changes: [Change]
    }

    /// The settings text with both keys set; `current` is nil for a file that does not exist yet.
    ///
    /// - Throws: ``OrderedJSON/SyntaxError`` for a file that is not JSON, or a message when a key
    ///   cco must set holds something it cannot set into.
    static func edit(_ current: String?, baseURL: String, statusCommand: String) throws -> Edit {
        let blank = current?.allSatisfy(\.isWhitespace) ?? true
        var root = blank ? OrderedJSON.object([]) : try OrderedJSON.parse(current!)
        guard case .object = root else { throw SettingsProblem("the file must hold a JSON object ({…}), found something else") }
        var changes: [Change] = []

        var env = root["env"] ?? .object([])
        guard case .object = env else { throw SettingsProblem("`env` must be an object of environment variables") }
        let oldURL = env["ANTHROPIC_BASE_URL"]
        if oldURL?.stringValue != baseURL {
            env.set("ANTHROPIC_BASE_URL", .string(baseURL))
            root.set("env", env)
            changes.append(Change(key: "env.ANTHROPIC_BASE_URL", old: oldURL?.rendered(), new: OrderedJSON.quote(baseURL)))
        }

        let wanted: [(String, String)] = [("type", "command"), ("command", statusCommand)]
        if let current = root["statusLine"], Self.isObject(current) {
            var status = current
            for (key, value) in wanted where status[key]?.stringValue != value {
                changes.append(Change(key: "statusLine.\(key)", old: status[key]?.rendered(), new: OrderedJSON.quote(value)))
                status.set(key, .string(value))
            }
            root.set("statusLine", status)
        } else {
            let status = OrderedJSON.object(wanted.map { ($0.0, .string($0.1)) })
            let compact = "{" + wanted.map { "\(OrderedJSON.quote($0.0)): \(OrderedJSON.quote($0.1))" }.joined(separator: ", ") + "}"
            changes.append(Change(key: "statusLine", old: root["statusLine"]?.rendered(), new: compact))
            root.set("statusLine", status)
        }
        return Edit(text: root.rendered() + "\n", changes: changes)
    }

    private static func isObject(_ value: OrderedJSON) -> Bool { if case .object = value { true } else { false } }

    struct SettingsProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A line diff of `old` and `new` (`-` removed, `+` added, two lines of context).
    static func diff(_ old: String, _ new: String, oldName: String, newName: String) -> String {
        let a = old.isEmpty ? [] : old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
        // Longest common subsequence, as a table of suffix lengths.
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var lines: [(Character, String)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] { lines.append((" ", a[i])); i += 1; j += 1 }
            else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] { lines.append(("-", a[i])); i += 1 }
            else { lines.append(("+", b[j])); j += 1 }
        }
        let changed = lines.indices.filter { lines[$0].0 != " " }
        var output = "--- \(oldName)\n+++ \(newName)\n"
        var shown = -1
        for index in lines.indices where changed.contains(where: { abs($0 - index) <= 2 }) {
            if shown >= 0, index > shown + 1 { output += "…\n" }
            output += "\(lines[index].0)\(lines[index].1)\n"
            shown = index
        }
        return output
    }
}

private extension Array where Element == String {
    func dropLastIfEmpty() -> [String] { last == "" ? Array(dropLast()) : self }
}
