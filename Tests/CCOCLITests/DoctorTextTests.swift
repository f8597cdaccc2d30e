import Testing
@testable import CCOCLI

@Suite struct DoctorTextTests {
    @Test func eachCheckIsOneLineAndAProblemItsFix() {
        var stale = DoctorCheck.fail("daemon", "daemon.pid names pid 7, which is not running", fix: "rm daemon.pid", repair: { "removed daemon.pid" })
        let checks = [DoctorCheck.ok("config", "config.toml is valid"), .warn("claude code", "not pointed at cco", fix: "cco setup claude-code"), stale]
        let text = Doctor.render(DoctorReport(checks), fixRan: false)
        #expect(text == """
            ok    config       config.toml is valid
            warn  claude code  not pointed at cco
                               fix: cco setup claude-code
            fail  daemon       daemon.pid names pid 7, which is not running
                               fix: rm daemon.pid (cco doctor --fix does it)

            1 problem, 1 warning; `cco doctor --fix` repairs 1 of them

            """)
        stale.fixed = "removed daemon.pid"
        let after = Doctor.render(DoctorReport([checks[0], stale]), fixRan: true)
        #expect(after.contains("fixed daemon  daemon.pid names pid 7, which is not running\n              removed daemon.pid\n"), "\(after)")
        #expect(after.hasSuffix("\n1 fixed\n"))
        #expect(DoctorReport([checks[0], stale]).ok, "a repaired failure is no longer one")
    }

    @Test func driftNamesTheFirstLineThatDiffers() {
        #expect(DoctorChecks.firstDifference("[Unit]\nRestart=no\n", "[Unit]\nRestart=on-failure\n") == "line 2: Restart=no, expected Restart=on-failure")
        #expect(DoctorChecks.firstDifference("[Unit]\n", "[Unit]\nX=1\n") == "line 2: , expected X=1")
    }
}

@Suite struct ManPageTests {
    static let tree = """
        {"serializationVersion": 0, "command": {"commandName": "cco", "abstract": "Run the daemon.", "subcommands": [
          {"commandName": "daemon", "abstract": "Manage it.", "subcommands": [
            {"commandName": "start", "abstract": "Start it.", "discussion": ".dot first\\nback\\\\slash",
             "arguments": [
               {"kind": "option", "names": [{"kind": "long", "name": "port"}], "valueName": "port", "abstract": "A port.", "isOptional": true, "defaultValue": "3000"},
               {"kind": "flag", "names": [{"kind": "long", "name": "help"}, {"kind": "short", "name": "h"}], "abstract": "Help.", "isOptional": true},
               {"kind": "positional", "valueName": "name", "abstract": "A name.", "isOptional": false}]}]},
          {"commandName": "help", "abstract": "Help."}]}}
        """

    @Test func everyCommandGetsAPageWithItsOptionsAndLinks() throws {
        let pages = try ManPage.pages(fromDumpHelp: Array(Self.tree.utf8), version: "0.1.0", date: "2026-12-02")
        #expect(pages.map(\.file) == ["cco.1", "cco-daemon.1", "cco-daemon-start.1"], "no page for help")
        let start = try #require(pages.last?.text)
        #expect(start.hasPrefix(".TH CCO\\-DAEMON\\-START 1 \"2026-12-02\" \"cco 0.1.0\" \"User Commands\"\n.SH NAME\ncco\\-daemon\\-start \\- Start it.\n"))
        #expect(start.contains(".SH SYNOPSIS\n.B cco daemon start\n[\\fB\\-\\-port\\fR \\fIport\\fR]\n\\fIname\\fR\n"), "\(start)")
        #expect(start.contains(".TP\n\\fB\\-\\-port\\fR \\fIport\\fR\nA port.\nDefault: 3000.\n"))
        #expect(!start.contains("Help."), "--help is left out")
        #expect(start.contains("\\&.dot first\nback\\eslash"), "a leading dot and a backslash are escaped")
        #expect(start.hasSuffix(".SH SEE ALSO\n\\fBcco\\-daemon\\fR(1)\n"))
        #expect(pages[1].text.contains(".SH SUBCOMMANDS\n.TP\n\\fBstart\\fR\nStart it.\nSee \\fBcco\\-daemon\\-start\\fR(1).\n"))
    }
}
