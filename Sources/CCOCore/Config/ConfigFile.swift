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
