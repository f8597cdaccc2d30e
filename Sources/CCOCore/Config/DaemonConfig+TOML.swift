internal import TOMLKit

extension DaemonConfig {
    /// Loads `path`; a missing file gives every default.
    ///
    /// - Throws: ``ConfigError`` for unreadable files, invalid TOML, unknown keys and bad values.
    public static func load(from path: String) throws(ConfigError) -> DaemonConfig {
        let text: String?
        do { text = try FileSystem.readTextIfExists(path) } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: "cannot read: \(error.errno.map { "\($0)" } ?? "unknown error"); check the file's permissions")
        }
        guard let text else { return DaemonConfig() }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        // TOML allows no control character but tab and newlines. Checked here first also because
        // toml++ (inside TOMLKit) aborts the process on one in a table header instead of failing.
        if let (line, column, scalar) = firstControlCharacter(in: text) {
            throw ConfigError(file: file, line: line, key: nil, message: "invalid TOML: control character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)) at column \(column) is not allowed; delete it")
        }
        if let line = firstMalformedTableHeader(in: text) {
            throw ConfigError(file: file, line: line, key: nil, message: "invalid TOML: a table name must start with a letter, a digit, _, - or a quote, as in [pricing.\"claude-x\"]")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: nil, message: "invalid TOML: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, message: "invalid TOML: \(error)")
        }
        let locator = TOMLKeyLocator(text: text)
        var config = DaemonConfig()
        var problems: [ConfigError] = []
        for name in table.keys {
            let line = locator.line(of: name)
            if name == pricingTableName, let node = table[name] {
                do { config.pricing = try parsePricing(node, file: file, locator: locator) } catch { problems.append(error) }
                continue
            }
            if name == budgetTableName, let node = table[name] {
                do { config.budget = try parseBudget(node, file: file, locator: locator) } catch { problems.append(error) }
                continue
            }
            guard let key = ConfigKey(rawValue: name) else {
                let hint = ConfigKey.suggestion(for: name).map { " (did you mean `\($0.name)`?)" } ?? "; `cco config show` lists the known keys"
                problems.append(ConfigError(file: file, line: line, key: name, message: "`\(name)` is not a known key\(hint)"))
                continue
            }
            guard let node = table[name] else { continue }
            let value: ConfigValue
            switch node.type {
            case .int: value = .integer(node.int ?? 0)
            case .string: value = .string(node.string ?? "")
            case .bool: value = .boolean(node.bool ?? false)
            case .array where (node.array ?? []).allSatisfy({ $0.type == .string }):
                value = .strings((node.array ?? []).compactMap(\.string))
            default:
                let found = node.type == .double ? "\(node.double ?? 0)" : "a TOML \(node.type)"
                problems.append(ConfigError(file: file, line: line, key: name, message: "`\(name)` must be \(key.allowed), found \(found)"))
                continue
            }
            if let rejection = key.assign(value, to: &config) {
                problems.append(ConfigError(file: file, line: line, key: name, message: rejection))
            }
        }
        if let first = problems.min(by: { ($0.line ?? .max) < ($1.line ?? .max) }) { throw first }
        if config.budget.monthlyUSD != nil || config.budget.projects.values.contains(where: { $0.monthlyUSD != nil }),
           config.analyticsRetentionDays > 0, config.analyticsRetentionDays < 31 {
            throw ConfigError(file: file, line: locator.line(of: ConfigKey.analyticsRetentionDays.name), key: ConfigKey.analyticsRetentionDays.name,
                              message: "a monthly budget counts a month of calls, but `analytics_retention_days` = \(config.analyticsRetentionDays) keeps fewer; set it to 31 or more (or 0)")
        }
        if let problem = config.remoteAccessProblem() {
            throw ConfigError(file: file, line: locator.line(of: ConfigKey.host.name), key: ConfigKey.host.name, message: problem)
        }
        return config
    }

    /// The name of the `[pricing."MODEL"]` tables.
    public static let pricingTableName = "pricing"
    static let priceFields = ["input", "output", "cache_read", "cache_write", "cache_write_1h", "web_search"]

    /// `[pricing."claude-sonnet-4-5"]` with `input`, `output` and optionally `cache_read`,
    /// `cache_write` (5 minutes) and `cache_write_1h`, in US dollars per million tokens, and
    /// `web_search` in US dollars per search.
    private static func parsePricing(_ node: any TOMLValueConvertible, file: String, locator: TOMLKeyLocator) throws(ConfigError) -> [String: PriceOverride] {
        guard let models = node.table else {
            throw ConfigError(file: file, line: locator.line(of: pricingTableName), key: pricingTableName,
                              message: "`pricing` must be a table of models, e.g. [pricing.\"claude-sonnet-4-5\"] with input = 3.0 and output = 15.0")
        }
        var prices: [String: PriceOverride] = [:]
        for model in models.keys.sorted() {
            let line = locator.line(ofTableHeaderNaming: model) ?? locator.line(of: pricingTableName)
            let key = "pricing.\(model)"
            guard let fields = models[model]?.table else {
                throw ConfigError(file: file, line: line, key: key, message: "`\(key)` must be a table with input and output prices in USD per million tokens")
            }
            var values: [String: Double] = [:]
            for field in fields.keys {
                guard priceFields.contains(field) else {
                    throw ConfigError(file: file, line: line, key: "\(key).\(field)", message: "`\(field)` is not a price field; use \(priceFields.joined(separator: ", "))")
                }
                let number: Double? = switch fields[field]?.type {
                case .int?: fields[field]?.int.map(Double.init)
                case .double?: fields[field]?.double
                default: nil
                }
                guard let number, number >= 0, number.isFinite else {
                    throw ConfigError(file: file, line: line, key: "\(key).\(field)", message: "`\(key).\(field)` must be a number from 0 up (\(field == "web_search" ? "USD per search" : "USD per million tokens"))")
                }
                values[field] = number
            }
            guard let input = values["input"], let output = values["output"] else {
                throw ConfigError(file: file, line: line, key: key, message: "`\(key)` needs both `input` and `output` (USD per million tokens)")
            }
            prices[model] = PriceOverride(input: input, output: output, cacheRead: values["cache_read"], cacheWrite: values["cache_write"],
                                          cacheWrite1h: values["cache_write_1h"], webSearch: values["web_search"])
        }
        return prices
    }

    /// The name of the `[budget]` table.
    public static let budgetTableName = "budget"

    /// `[budget]` with `daily_usd`, `monthly_usd`, `session_usd`, `warn_at`, `notify`, and
    /// `[budget.project."NAME"]` tables with `daily_usd` and `monthly_usd`.
    private static func parseBudget(_ node: any TOMLValueConvertible, file: String, locator: TOMLKeyLocator) throws(ConfigError) -> BudgetConfig {
        let header = locator.line(ofTable: [budgetTableName]) ?? locator.line(of: budgetTableName)
        guard let table = node.table else {
            throw ConfigError(file: file, line: header, key: budgetTableName,
                              message: "`budget` must be a table, e.g. [budget] with daily_usd = 20")
        }
        func number(_ value: (any TOMLValueConvertible)?) -> Double? {
            switch value?.type {
            case .int?: value?.int.map(Double.init)
            case .double?: value?.double
            default: nil
            }
        }
        func found(_ value: (any TOMLValueConvertible)?) -> String {
            guard let value else { return "nothing" }
            switch value.type {
            case .string: return ConfigValue.string(value.string ?? "").description
            case .bool: return "\(value.bool ?? false)"
            case .int: return "\(value.int ?? 0)"
            case .double: return "\(value.double ?? 0)"
            default: return "a TOML \(value.type)"
            }
        }
        func amount(_ key: String, in fields: TOMLTable, path: [String]) throws(ConfigError) -> Double? {
            guard let value = fields[key] else { return nil }
            let name = (path + [key]).joined(separator: ".")
            guard let usd = number(value), usd.isFinite, usd >= 0 else {
                throw ConfigError(file: file, line: locator.line(ofKey: key, inTable: path), key: name,
                                  message: "`\(name)` must be an amount in US dollars from 0 up, e.g. 20 or 7.5, found \(found(value))")
            }
            return usd
        }
        var budget = BudgetConfig()
        let periodKeys = BudgetPeriod.allCases.map(\.key)
        for key in table.keys.sorted() {
            let name = "\(budgetTableName).\(key)"
            let line = locator.line(ofKey: key, inTable: [budgetTableName]) ?? header
            switch key {
            case BudgetPeriod.daily.key: budget.dailyUSD = try amount(key, in: table, path: [budgetTableName])
            case BudgetPeriod.monthly.key: budget.monthlyUSD = try amount(key, in: table, path: [budgetTableName])
            case BudgetPeriod.session.key: budget.sessionUSD = try amount(key, in: table, path: [budgetTableName])
            case "warn_at":
                guard let share = number(table[key]), share > 0, share <= 1 else {
                    throw ConfigError(file: file, line: line, key: name, message: "`\(name)` must be a share of the budget above 0 and at most 1, e.g. 0.8, found \(found(table[key]))")
                }
                budget.warnAt = share
            case "notify":
                guard table[key]?.type == .bool, let notify = table[key]?.bool else {
                    throw ConfigError(file: file, line: line, key: name, message: "`\(name)` must be true or false, found \(found(table[key]))")
                }
                budget.notify = notify
            case "project":
                guard let projects = table[key]?.table else {
                    throw ConfigError(file: file, line: line, key: name, message: "`\(name)` must hold tables, e.g. [budget.project.\"billing-api\"] with daily_usd = 5")
                }
                for project in projects.keys.sorted() {
                    let path = [budgetTableName, key, project]
                    let projectName = "\(name).\(project)"
                    guard let fields = projects[project]?.table else {
                        throw ConfigError(file: file, line: locator.line(ofTable: path) ?? line, key: projectName,
                                          message: "`\(projectName)` must be a table with daily_usd and/or monthly_usd")
                    }
                    var limits = BudgetConfig.ProjectBudget()
                    for field in fields.keys.sorted() {
                        switch field {
                        case BudgetPeriod.daily.key: limits.dailyUSD = try amount(field, in: fields, path: path)
                        case BudgetPeriod.monthly.key: limits.monthlyUSD = try amount(field, in: fields, path: path)
                        default:
                            throw ConfigError(file: file, line: locator.line(ofKey: field, inTable: path) ?? locator.line(ofTable: path), key: "\(projectName).\(field)",
                                              message: "`\(field)` is not a project budget key; use daily_usd or monthly_usd")
                        }
                    }
                    budget.projects[project] = limits
                }
            default:
                let hint = (periodKeys + ["warn_at", "notify", "project"]).min { ConfigKey.editDistance($0, key) < ConfigKey.editDistance($1, key) }
                throw ConfigError(file: file, line: line, key: name,
                                  message: "`\(key)` is not a budget key (did you mean `\(hint ?? "daily_usd")`?); use daily_usd, monthly_usd, session_usd, warn_at, notify or [budget.project.\"NAME\"]")
            }
        }
        return budget
    }

    /// Why `host` may not be used as it is, or `nil`: a non-loopback address needs `allow_remote = true`.
    public func remoteAccessProblem() -> String? {
        guard !HostAddress.isLoopback(host), !allowRemote else { return nil }
        return "`host` = \(ConfigValue.string(host)) is not a loopback address and would accept connections from other machines; set `allow_remote = true` to allow that"
    }

    /// The effective config as TOML, every key present; keys not set in `explicitKeys` are marked.
    public func renderTOML(explicitKeys: Set<ConfigKey>? = nil) -> String {
        var text = ConfigKey.allCases.map { key in
            let line = "\(key.name) = \(key.value(in: self).toml)"
            guard let explicitKeys, !explicitKeys.contains(key) else { return line }
            return line + "    # default"
        }.joined(separator: "\n") + "\n"
        for (model, price) in pricing.sorted(by: { $0.key < $1.key }) {
            text += "\n[\(Self.pricingTableName).\(QuotedString.quote(model))]\n"
            text += "input = \(price.input)\noutput = \(price.output)\n"
            if let cacheRead = price.cacheRead { text += "cache_read = \(cacheRead)\n" }
            if let cacheWrite = price.cacheWrite { text += "cache_write = \(cacheWrite)\n" }
            if let cacheWrite1h = price.cacheWrite1h { text += "cache_write_1h = \(cacheWrite1h)\n" }
            if let webSearch = price.webSearch { text += "web_search = \(webSearch)\n" }
        }
        text += budget.renderTOML()
        return text
    }

    /// The keys that `text` sets (for marking defaults in `config show`).
    public static func explicitKeys(in text: String) -> Set<ConfigKey> {
        guard let table = try? TOMLTable(string: text) else { return [] }
        return Set(table.keys.compactMap(ConfigKey.init(rawValue:)))
    }
}

/// The first character TOML forbids (a control character other than tab, LF, or CR before LF), with
/// its 1-based line and column.
func firstControlCharacter(in text: String) -> (line: Int, column: Int, scalar: Unicode.Scalar)? {
    var line = 1, column = 0
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
        defer { previous = scalar }
        if previous?.value == 0x0D && scalar.value != 0x0A { return (line, column, previous!) }
        if scalar.value == 0x0A { line += 1; column = 0; continue }
        column += 1
        if scalar.value == 0x0D || scalar.value == 0x09 { continue }
        if scalar.value < 0x20 || scalar.value == 0x7F { return (line, column, scalar) }
    }
    if previous?.value == 0x0D { return (line, column, previous!) }
    return nil
}

/// The 1-based line of a table header (`[x]`, `[[x]]`) whose name starts with something other than a
/// bare-key character or a quote. toml++ (inside TOMLKit) asserts on those and aborts the process
/// (`[.a]`, `[=]`, `[ #]`: found by scripts/faults), so they are refused before it sees them.
/// Lines inside a multi-line string or an array value that spans lines are not headers.
func firstMalformedTableHeader(in text: String) -> Int? {
    var openBrackets = 0
    var inMultilineString: String?
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if let delimiter = inMultilineString {
            if raw.contains(delimiter) { inMultilineString = nil }
            continue
        }
        let line = raw.drop { $0 == " " || $0 == "\t" }
        if openBrackets == 0, line.hasPrefix("[") {
            let name = line.drop { $0 == "[" }.drop { $0 == " " || $0 == "\t" }
            guard let first = name.first, (first.isASCII && (first.isLetter || first.isNumber)) || "_-\"'".contains(first) else {
                return index + 1
            }
            continue
        }
        // Arrays and multi-line strings that continue on later lines.
        for delimiter in ["\"\"\"", "'''"] where line.ranges(of: delimiter).count % 2 == 1 {
            inMultilineString = delimiter
        }
        var inString: Character?
        for character in line {
            if let quote = inString {
                if character == quote { inString = nil }
            } else if character == "\"" || character == "'" {
                inString = character
            } else if character == "#" {
                break
            } else if character == "[" {
                openBrackets += 1
            } else if character == "]" {
                openBrackets = max(0, openBrackets - 1)
            }
        }
    }
    return nil
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Finds the line that defines a top-level key, so that errors can point at it.
/// TOMLKit reports positions for syntax errors only.
struct TOMLKeyLocator {
    let lines: [Substring]

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The 1-based line where `key` is assigned or opened as a table, or `nil`.
    func line(of key: String) -> Int? {
        for (index, raw) in lines.enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[") {
                let name = line.drop { $0 == "[" }.prefix { $0 != "]" && $0 != "." }
                if unquote(name) == key { return index + 1 }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let name = line[..<eq].prefix { $0 != "." }
            if unquote(name) == key { return index + 1 }
        }
        return nil
    }

    /// The 1-based line of the first table header that names `name` (`[pricing."claude-x"]`).
    func line(ofTableHeaderNaming name: String) -> Int? {
        for (index, raw) in lines.enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { continue }
            let parts = line[line.index(after: line.startIndex) ..< close].split(separator: ".").map { unquote($0) }
            if parts.contains(name) { return index + 1 }
        }
        return nil
    }

    /// The 1-based line of the header `[a.b."c"]` whose dotted parts are `path`, or nil.
    func line(ofTable path: [String]) -> Int? {
        for (index, raw) in lines.enumerated() where Self.tablePath(of: raw) == path { return index + 1 }
        return nil
    }

    /// The 1-based line where `key` is assigned inside the table `path` (before the next header).
    func line(ofKey key: String, inTable path: [String]) -> Int? {
        guard let header = line(ofTable: path) else { return nil }
        for index in header ..< lines.count {
            let line = lines[index].drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[") { return nil }
            guard let eq = line.firstIndex(of: "=") else { continue }
            if unquote(line[..<eq]) == key { return index + 1 }
        }
        return nil
    }

    /// The dotted parts of a table header line (`[budget.project."a b"]` → budget, project, a b), or
    /// nil for other lines.
    static func tablePath(of raw: Substring) -> [String]? {
        let line = raw.drop { $0 == " " || $0 == "\t" }
        guard line.hasPrefix("["), !line.hasPrefix("[["), let close = line.lastIndex(of: "]") else { return nil }
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for character in line[line.index(after: line.startIndex) ..< close] {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                parts.append(current)
                current = ""
            } else if character != " " && character != "\t" {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    /// The 1-based line of the first table header (`[name]`), where top-level keys must stop.
    func firstTableHeader() -> Int? {
        lines.firstIndex { $0.drop { $0 == " " || $0 == "\t" }.hasPrefix("[") }.map { $0 + 1 }
    }

    private func unquote(_ s: Substring) -> String {
        let trimmed = s.trimmingCharacters(in: " \t")
        if trimmed.count >= 2, let f = trimmed.first, f == "\"" || f == "'", trimmed.last == f {
            return String(trimmed.dropFirst().dropLast())
        }
        return trimmed
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
