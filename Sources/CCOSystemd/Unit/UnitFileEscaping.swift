/// Quoting values for unit files (`systemd.syntax(7)`, `systemd.unit(5)` specifiers,
/// `systemd.service(5)` command lines). Pure text, no C.
public enum UnitFileEscaping {
    /// A value that systemd unquotes (an `ExecStart=` word, a path in `ReadWritePaths=`, an
    /// `Environment=` assignment): `%` doubled (it starts a specifier), and double quotes around the
    /// value with `\` and `"` escaped when it has whitespace, quotes or backslashes.
    public static func quoted(_ value: String) -> String {
        let specifiersEscaped = value.replacing("%", with: "%%")
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "\\" }
        guard needsQuotes else { return specifiersEscaped }
        let inner = specifiersEscaped.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
        return "\"" + inner + "\""
    }

    /// A word of an `Exec*=` command line: also `$` doubled, so it is not taken for a variable.
    public static func execWord(_ value: String) -> String {
        quoted(value.replacing("$", with: "$$"))
    }
}
