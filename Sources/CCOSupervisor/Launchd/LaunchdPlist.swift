public import CCOCore

/// The macOS LaunchAgent for the daemon, as XML property-list text. Pure Swift, so it is built and
/// tested on Linux too.
public struct LaunchdPlist: Sendable, Hashable {
    /// The agent's label (from the original feature list).
    public static let label = "com.anthropic.cco.daemon"

    public var label: String = LaunchdPlist.label
    /// Absolute path of the `cco` executable.
    public var executable: String
    public var stateDirectory: String
    /// Set in `EnvironmentVariables` when the user chose a state directory other than `~/.cco`.
    public var ccoHome: String?
    /// `RunAtLoad`: start when loaded (at login), from `auto_start`.
    public var runAtLoad: Bool
    /// Seconds launchd waits between restarts.
    public var throttleInterval: Int = 10
    public var path: String = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

    public init(executable: String, stateDirectory: String, ccoHome: String?, config: DaemonConfig) {
        self.executable = executable
        self.stateDirectory = stateDirectory
        self.ccoHome = ccoHome
        self.runAtLoad = config.autoStart
    }

    /// `~/Library/LaunchAgents/com.anthropic.cco.daemon.plist`
    public static func path(home: String) -> String {
        home + "/Library/LaunchAgents/" + label + ".plist"
    }

    /// launchd does not rotate logs: stdout and stderr go to one file, and the daemon rotates its own
    /// `daemon.log` as it does standalone.
    public var outputPath: String { stateDirectory + "/logs/daemon.out" }

    public func render() -> String {
        var environment = [("PATH", path)]
        if let ccoHome { environment.insert(("CCO_HOME", ccoHome), at: 0) }
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">"#,
            #"<plist version="1.0">"#,
            "<dict>",
        ]
        func key(_ name: String) { lines.append("\t<key>\(Self.escape(name))</key>") }
        func string(_ value: String, depth: Int = 1) { lines.append(String(repeating: "\t", count: depth) + "<string>\(Self.escape(value))</string>") }
        key("Label"); string(label)
        key("ProgramArguments")
        lines.append("\t<array>")
        for argument in [executable, "daemon", "run"] { string(argument, depth: 2) }
        lines.append("\t</array>")
        key("RunAtLoad"); lines.append(runAtLoad ? "\t<true/>" : "\t<false/>")
        // Restart after a crash or a failed exit, not after a clean stop.
        key("KeepAlive")
        lines += ["\t<dict>", "\t\t<key>SuccessfulExit</key>", "\t\t<false/>", "\t</dict>"]
        key("ThrottleInterval"); lines.append("\t<integer>\(throttleInterval)</integer>")
        key("ProcessType"); string("Background")
        key("EnvironmentVariables")
        lines.append("\t<dict>")
        for (name, value) in environment {
            lines.append("\t\t<key>\(Self.escape(name))</key>")
            string(value, depth: 2)
        }
        lines.append("\t</dict>")
        key("StandardOutPath"); string(outputPath)
        key("StandardErrorPath"); string(outputPath)
        key("WorkingDirectory"); string(stateDirectory)
        lines += ["</dict>", "</plist>", ""]
        return lines.joined(separator: "\n")
    }

    /// XML character data: `&`, `<`, `>` (and quotes, harmlessly) as entities; other text, non-ASCII
    /// included, as UTF-8. Control characters other than tab, newline and return are not allowed in XML 1.0.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
