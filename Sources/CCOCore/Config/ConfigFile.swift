/// `config.toml` as a file: reading it, and changing one key while keeping the user's comments.
public struct ConfigFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The effective config; a missing file gives every default.
    public func load() throws(ConfigError) -> DaemonConfig {
        try DaemonConfig.load(from: path)
    }

    /// Sets `key` to `value`: the edited text is validated as a whole before it replaces the file
    /// atomically with mode 0600. Comments and other keys are kept as they are.
    ///
    /// - Returns: the new effective config.
    /// - Throws: ``ConfigError`` when the value or the resulting file is invalid (nothing is written).
    @discardableResult
    public func set(_ key: ConfigKey, to value: ConfigValue) throws(ConfigError) -> DaemonConfig {
        var probe = DaemonConfig()
        if let rejection = key.assign(value, to: &probe) {
            throw ConfigError(file: path, line: nil, key: key.name, message: rejection)
        }
        let current: String
        do { current = try FileSystem.readTextIfExists(path) ?? "" } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: error.description)
        }
        let edited = Self.setting(key, to: value, in: current)
        let config = try DaemonConfig.parse(edited, file: path)
        do {
            try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: path))
            try AtomicFile.write(edited, to: path)
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: error.description)
        }
        return config
    }

    /// Sets `key` inside the table `path` (`["budget"]`, `["budget", "project", "api"]`) to the TOML
    /// value `value`, or removes it when `value` is nil; the table is added when missing and
    /// removed when its last key goes. Validated and written like ``set(_:to:)``.
    @discardableResult
    public func set(_ key: String, inTable path: [String], toTOML value: String?) throws(ConfigError) -> DaemonConfig {
        let current: String
        do { current = try FileSystem.readTextIfExists(self.path) ?? "" } catch {
            throw ConfigError(file: self.path, line: nil, key: nil, message: error.description)
        }
        let edited = Self.setting(key, inTable: path, toTOML: value, in: current)
        let config = try DaemonConfig.parse(edited, file: self.path)
        guard edited != current else { return config }
        do {
            try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: self.path))
            try AtomicFile.write(edited, to: self.path)
        } catch {
            throw ConfigError(file: self.path, line: nil, key: nil, message: error.description)
        }
        return config
    }

    static func setting(_ key: String, inTable path: [String], toTOML value: String?, in text: String) -> String {
        var lines = TOMLKeyLocator(text: text).lines.map(String.init)
        if lines.last == "" { lines.removeLast() }
        let assignment = value.map { "\(key) = \($0)" }
        guard let header = lines.firstIndex(where: { TOMLKeyLocator.tablePath(of: Substring($0)) == path }) else {
            guard let assignment else { return text }
            if let last = lines.last, !last.trimmingCharacters(in: " \t").isEmpty { lines.append("") }
            let name = path.enumerated().map { $0.offset == 0 || Self.isBareKey($0.element) ? $0.element : QuotedString.quote($0.element) }
            lines.append("[\(name.joined(separator: "."))]")
            lines.append(assignment)
            return lines.joined(separator: "\n") + "\n"
        }
        var end = header + 1
        while end < lines.count, TOMLKeyLocator.tablePath(of: Substring(lines[end])) == nil, !lines[end].hasPrefix("[[") { end += 1 }
        let keyLine = (header + 1 ..< end).first { index in
            let line = lines[index].drop { $0 == " " || $0 == "\t" }
            guard let eq = line.firstIndex(of: "=") else { return false }
            return line[..<eq].trimmingCharacters(in: " \t\"'") == key
        }
        switch (keyLine, assignment) {
        case (let index?, let assignment?):
            lines[index] = assignment
        case (let index?, nil):
            lines.remove(at: index)
            end -= 1
            // A table left with nothing but blank lines goes too.
            if (header + 1 ..< end).allSatisfy({ lines[$0].trimmingCharacters(in: " \t").isEmpty }) {
                lines.removeSubrange(header ..< end)
                if header > 0, header <= lines.count, lines[header - 1].trimmingCharacters(in: " \t").isEmpty,
                   header == lines.count || lines[header].trimmingCharacters(in: " \t").isEmpty {
                    lines.remove(at: header - 1)
                }
            }
        case (nil, let assignment?):
            var last = header
            for index in header + 1 ..< end where lines[index].contains("=") { last = index }
            lines.insert(assignment, at: last + 1)
        case (nil, nil):
            return text
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func isBareKey(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(ASCII.isWordByte)
    }

    /// The text with `key = value` replacing the key's line, or added before the first table.
    static func setting(_ key: ConfigKey, to value: ConfigValue, in text: String) -> String {
        let assignment = "\(key.name) = \(value.toml)"
        let locator = TOMLKeyLocator(text: text)
        var lines = locator.lines.map(String.init)
        if let line = locator.line(of: key.name), locator.firstTableHeader().map({ line < $0 }) ?? true {
            lines[line - 1] = assignment
        } else if let header = locator.firstTableHeader() {
            lines.insert(assignment, at: header - 1)
        } else {
            if lines.last == "" { lines.removeLast() }
            lines.append(assignment)
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
