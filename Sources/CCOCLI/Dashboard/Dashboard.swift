import ArgumentParser
import CCOCore
import CCOSupervisor

/// `cco dashboard [VIEW]`: opens the running daemon's dashboard in the user's browser, or prints its
/// address when no browser can be opened from here.
struct Dashboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the daemon's dashboard (cost, sessions, live calls, the daemon) in your browser.",
        discussion: """
            Opens the address with xdg-open (open on macOS); in a session without a display, or when \
            that fails, prints the address to open instead. The dashboard is served by the daemon \
            itself and loads nothing from any other host.
            """)

    enum View: String, ExpressibleByArgument, CaseIterable {
        case overview, sessions, live, daemon
    }

    @Argument(help: "The view to open: overview, sessions, live or daemon.")
    var view: View = .overview

    @Flag(name: .customLong("print"), help: "Only print the address.")
    var printOnly = false

    func run() throws {
        let environment = try CommandEnvironment.current()
        guard case .running(let record) = DaemonStatus.read(environment.paths) else {
            throw failure("no daemon runs for \(environment.paths.stateDirectory): start it (cco daemon start), then run `cco dashboard` again")
        }
        let url = DaemonConfig.baseURL(host: HostAddress.connectable(record.host), port: record.port) + "/" + (view == .overview ? "" : "#\(view.rawValue)")
        if printOnly {
            Terminal.out(url)
            return
        }
        switch Self.open(url, environment: environment.variables) {
        case .opened(let opener):
            Terminal.out("opened \(url) (\(opener))")
        case .notOpened(let reason):
            Terminal.out("\(reason); open \(url) in a browser")
        }
    }

    enum Opening {
        case opened(String)
        case notOpened(String)
    }

    /// Opens `url` with the platform's opener. Without a display (an SSH session) xdg-open would
    /// start a text browser in this terminal, so it is not tried there.
    static func open(_ url: String, environment: [String: String]) -> Opening {
        #if os(macOS)
        let opener = "open"
        #else
        let opener = "xdg-open"
        let graphical = ["DISPLAY", "WAYLAND_DISPLAY"].contains { !(environment[$0] ?? "").isEmpty }
        guard graphical || !(environment["BROWSER"] ?? "").isEmpty else { return .notOpened("no display here (DISPLAY and WAYLAND_DISPLAY are unset)") }
        #endif
        // A browser started in the foreground stays: still running after a few seconds counts as opened.
        switch ProcessCommandRunner().launch(opener, [url], waitingAtMost: .seconds(5)) {
        case .exited(status: 0), .running:
            return .opened("with \(opener)")
        case .exited(let status):
            return .notOpened("\(opener) failed (exit status \(status))")
        case .failedToStart:
            return .notOpened("\(opener) is not installed")
        }
    }
}
