#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Man pages in section 1, one per command, from the command tree as swift-argument-parser
/// describes it (`cco --experimental-dump-help`): `cco.1`, `cco-daemon.1`, `cco-daemon-start.1`, …
enum ManPage {
    /// The parts of argument-parser's tool-info JSON (serialization version 0) a page uses.
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var arguments: [Argument]?
        var subcommands: [Command]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        var kind: String
        var names: [Name]?
        var valueName: String?
        var abstract: String?
        var discussion: String?
        var defaultValue: String?
        var isOptional: Bool?
        var isRepeating: Bool?
        var shouldDisplay: Bool?
    }

    struct Tool: Decodable { var command: Command }

    /// Every page of the tree: file name and text.
    static func pages(fromDumpHelp json: [UInt8], version: String, date: String) throws -> [(file: String, text: String)] {
        let root = try JSONDecoder().decode(Tool.self, from: Data(json)).command
        var pages: [(String, String)] = []
        func walk(_ command: Command, path: [String]) {
            guard command.shouldDisplay ?? true, command.commandName != "help" else { return }
            let path = path + [command.commandName]
            pages.append((path.joined(separator: "-") + ".1", page(command, path: path, version: version, date: date)))
            for sub in command.subcommands ?? [] { walk(sub, path: path) }
        }
        walk(root, path: [])
        return pages
    }

    static func page(_ command: Command, path: [String], version: String, date: String) -> String {
        let name = path.joined(separator: "-")
        let arguments = (command.arguments ?? []).filter { ($0.shouldDisplay ?? true) && !($0.names ?? []).contains { $0.name == "help" } }
        let subcommands = (command.subcommands ?? []).filter { ($0.shouldDisplay ?? true) && $0.commandName != "help" }
        var text = ".TH \(escape(name.uppercased())) 1 \"\(date)\" \"cco \(version)\" \"User Commands\"\n"
        text += ".SH NAME\n\(escape(name)) \\- \(escape(command.abstract ?? ""))\n"
        text += ".SH SYNOPSIS\n.B \(escape(path.joined(separator: " ")))\n"
        if !subcommands.isEmpty { text += ".I subcommand\n" }
        for argument in arguments { text += synopsis(argument) + "\n" }
        text += ".SH DESCRIPTION\n\(paragraphs(command.abstract ?? ""))"
        if let discussion = command.discussion, !discussion.isEmpty { text += ".PP\n\(paragraphs(discussion))" }
        if !arguments.isEmpty {
            text += ".SH OPTIONS\n"
            for argument in arguments {
                text += ".TP\n\(label(argument))\n\(paragraphs(argument.abstract ?? ""))"
                if let discussion = argument.discussion, !discussion.isEmpty { text += paragraphs(discussion) }
                if let value = argument.defaultValue, !value.isEmpty { text += "Default: \(escape(value)).\n" }
            }
        }
        if !subcommands.isEmpty {
            text += ".SH SUBCOMMANDS\n"
            for sub in subcommands {
                text += ".TP\n\\fB\(escape(sub.commandName))\\fR\n\(paragraphs(sub.abstract ?? ""))"
                text += "See \\fB\(escape((path + [sub.commandName]).joined(separator: "-")))\\fR(1).\n"
            }
        }
        var seeAlso = subcommands.map { (path + [$0.commandName]).joined(separator: "-") }
        if path.count > 1 { seeAlso.insert(path.dropLast().joined(separator: "-"), at: 0) }
        if !seeAlso.isEmpty { text += ".SH SEE ALSO\n" + seeAlso.map { "\\fB\(escape($0))\\fR(1)" }.joined(separator: ", ") + "\n" }
        return text
    }

    static func label(_ argument: Argument) -> String {
        let names = (argument.names ?? []).map { ($0.kind == "short" ? "\\-" : "\\-\\-") + escape($0.name) }
        let value = argument.valueName.map { " \\fI\(escape($0))\\fR" } ?? ""
        switch argument.kind {
        case "positional": return "\\fI\(escape(argument.valueName ?? "value"))\\fR" + (argument.isRepeating == true ? "..." : "")
        case "flag": return names.map { "\\fB\($0)\\fR" }.joined(separator: ", ")
        default: return names.map { "\\fB\($0)\\fR" + value }.joined(separator: ", ")
        }
    }

    static func synopsis(_ argument: Argument) -> String {
        let shown = label(argument).split(separator: ",").first.map(String.init) ?? ""
        return argument.isOptional == true ? "[\(shown)]" : shown
    }

    /// Text as roff: backslashes escaped, a line that would start a request guarded, blank lines
    /// as paragraph breaks.
    static func paragraphs(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty ? ".PP" : escape(String(line))
        }.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        var out = text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }
}
