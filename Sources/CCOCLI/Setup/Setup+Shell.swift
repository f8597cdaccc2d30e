#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CCOAnalytics
import CCOCore
import CCOSupervisor
import SystemPackage

extension Setup {
    /// `cco setup shell`: cco on the PATH, its completions where each shell looks, its man pages
    /// where `man` looks. scripts/start runs it.
    struct Shell: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put cco on your PATH (~/.local/bin), and install its bash, zsh and fish completions and man pages.",
            discussion: """
                Links ~/.local/bin/cco to this cco; writes completions to \
                ~/.local/share/bash-completion/completions/cco, ~/.local/share/zsh/site-functions/_cco \
                and ~/.config/fish/completions/cco.fish, and cco(1) with a page per subcommand to \
                ~/.local/share/man/man1 (found by man once ~/.local/bin is on PATH). Running it again \
                changes only what differs.
                """)

        @Flag(help: "Say what would be written and write nothing.")
        var dryRun = false

        func run() throws {
            let environment = try CommandEnvironment.current()
            let home = environment.variables["HOME"] ?? ""
            guard home.hasPrefix("/") else { throw failure("HOME is not set to an absolute path; cco installs into ~/.local") }
            let data = environment.variables["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/share"
            let config = environment.variables["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.config"
            let bin = home + "/.local/bin"
            let executable = environment.executable

            var files: [(path: String, text: String)] = []
            for (shell, path) in [("bash", data + "/bash-completion/completions/cco"), ("zsh", data + "/zsh/site-functions/_cco"),
                                  ("fish", config + "/fish/completions/cco.fish")] {
                files.append((path, try Self.output(of: executable, ["--generate-completion-script", shell])))
            }
            let dump = try Self.output(of: executable, ["--experimental-dump-help"])
            let pages: [(file: String, text: String)]
            do {
                pages = try ManPage.pages(fromDumpHelp: Array(dump.utf8), version: CCOVersion.current, date: String(LocalTime.today()))
            } catch {
                throw failure("cannot read cco's own command tree: \(error)")
            }
            files += pages.map { (data + "/man/man1/" + $0.file, $0.text) }

            var changed = 0
            let link = bin + "/cco"
            switch Self.linkState(link, to: executable) {
            case .same: break
            case .foreign(let what):
                throw failure("\(link) exists and is \(what); move it away, then run `cco setup shell` again; nothing was changed")
            case .missing, .otherLink:
                changed += 1
                Terminal.out("\(dryRun ? "would link" : "linked") \(link) → \(executable)")
                if !dryRun { try Self.link(link, to: executable) }
            }
            var written = 0
            for file in files {
                guard (try? FileSystem.readTextIfExists(file.path)) ?? nil != file.text else { continue }
                written += 1
                if !dryRun {
                    do {
                        try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: file.path), mode: 0o755)
                        try AtomicFile.write(file.text, to: file.path, permissions: [.ownerReadWrite, .groupRead, .otherRead])
                    } catch {
                        throw failure("cannot write \(file.path): \(error)")
                    }
                }
            }
            if written > 0 {
                Terminal.out("\(dryRun ? "would write" : "wrote") \(written) file\(written == 1 ? "" : "s"): completions for bash, zsh and fish, and \(pages.count) man pages in \(data)/man/man1")
            }
            if changed + written == 0 { Terminal.out("unchanged: \(link), completions and man pages are up to date") }
            let path = (environment.variables["PATH"] ?? "").split(separator: ":").map(String.init)
            if !path.contains(bin) && !path.contains(bin + "/") {
                Terminal.out("\(bin) is not on your PATH: add `export PATH=\"$HOME/.local/bin:$PATH\"` to ~/.profile (or ~/.bashrc, ~/.zshrc), then open a new shell")
            }
            Terminal.out("zsh reads the completions once ~/.zshrc has `fpath+=(\(data)/zsh/site-functions)` before `compinit`")
        }

        enum LinkState { case missing, same, otherLink, foreign(String) }

        static func linkState(_ link: String, to target: String) -> LinkState {
            var st = stat()
            guard system_lstat(link, &st) == 0 else { return .missing }
            guard (st.st_mode & S_IFMT) == S_IFLNK else { return .foreign((st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "a file, not a link") }
            return FileSystem.resolvingSymlinks(link) == target ? .same : .otherLink
        }

        /// A new link beside the old one, renamed over it: the link is never missing.
        static func link(_ link: String, to target: String) throws {
            do { try FileSystem.makeDirectory(AtomicFile.parentDirectory(of: link), mode: 0o755) } catch { throw failure("\(error)") }
            let temporary = link + ".cco-new"
            _ = system_unlink(temporary)
            guard system_symlink(target, temporary) == 0 else { throw failure("cannot create \(link): \(Errno(rawValue: errno))") }
            guard system_rename(temporary, link) == 0 else {
                let error = Errno(rawValue: errno)
                _ = system_unlink(temporary)
                throw failure("cannot create \(link): \(error)")
            }
        }

        static func output(of executable: String, _ arguments: [String]) throws -> String {
            let result = ProcessCommandRunner().run(executable, arguments)
            guard result.status == 0 else { throw failure("\(executable) \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(result.output.prefix(300))") }
            return result.output
        }
    }
}
