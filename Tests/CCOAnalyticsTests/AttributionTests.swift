import Foundation
import Testing
import CCOCore
import CCOTestSupport
@testable import CCOAnalytics

@Suite struct ProjectResolverTests {
    @Test func aSessionsProjectIsTheWorkingDirectoryItsTranscriptRecords() throws {
        try withTemporaryDirectory { dir in
            let resolver = ProjectResolver(environment: ["HOME": "/nowhere", "CLAUDE_CONFIG_DIR": dir + "/claude"])
            #expect(resolver.projectsDirectory == dir + "/claude/projects")
            let session = "0b7d4c55-9a61-5d2f"
            #expect(resolver.project(ofSession: session) == nil, "no transcript yet")
            let folder = dir + "/claude/projects/-srv-app"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "{\"type\":\"summary\"}\n{\"cwd\":\"/srv/app\",\"sessionId\":\"\(session)\"}\n".write(toFile: folder + "/\(session).jsonl", atomically: true, encoding: .utf8)
            #expect(resolver.project(ofSession: session) == nil, "looked for again only after the retry interval")
            let eager = ProjectResolver(projectsDirectory: dir + "/claude/projects", retryInterval: .zero)
            let first = eager.project(ofSession: session)
            #expect(first?.project == "/srv/app")
            #expect(first?.isNew == true)
            #expect(eager.project(ofSession: session)?.isNew == false, "found once, then known")
        }
    }

    @Test(arguments: ["../../etc/passwd", "a/b", "", String(repeating: "a", count: 129), "a b", "sess.ion", "séance", "a\u{0}b",
                      "7c1f2a9e-55d3-4b8e-9f2a-0123456789ab\n"])
    func aSessionIDThatCouldNameAnotherFileIsNeverLookedUp(id: String) {
        #expect(!ProjectResolver.isSessionID(id))
        #expect(ProjectResolver(projectsDirectory: "/tmp", retryInterval: .zero).project(ofSession: id) == nil)
    }

    @Test(arguments: ["7c1f2a9e-55d3-4b8e-9f2a-0123456789ab", "A_z-09", String(repeating: "a", count: 128)])
    func aSessionIDOfLettersDigitsDashesAndUnderscoresIsLookedUp(id: String) {
        #expect(ProjectResolver.isSessionID(id))
    }

    @Test func aDirectoryNameIsDecodedByTheDirectoriesThatExist() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/my-app/.config/x.y", withIntermediateDirectories: true)
            let encoded = (dir + "/my-app/.config/x.y").replacing("/", with: "-").replacing(".", with: "-")
            #expect(ProjectResolver.decode(directoryName: encoded) == dir + "/my-app/.config/x.y")
            #expect(ProjectResolver.decode(directoryName: encoded + "-missing") == nil)
        }
    }
}

@Suite struct AttributionTests {
    @Test(arguments: [
        ("claude-cli/2.0.14 (external, cli)", "claude-cli", "2.0.14"),
        ("Anthropic/Python 0.75.0", "Anthropic/Python", "0.75.0"),
        ("curl/8.5.0", "curl", "8.5.0"),
        ("my-tool", "my-tool", nil),
        ("  claude-cli/2.1.0   (external, sdk-ts)", "claude-cli", "2.1.0"),
        ("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "Mozilla", "5.0"),
        ("tool/beta 2", "tool/beta", "2"),
        ("/1.0 x", "/1.0", nil),
        ("tool/", "tool/", nil),
        ("tool 2.0", "tool", "2.0"),
        ("tool v2", "tool", nil),
        ("ünïcode/1.0", "ünïcode", "1.0"),
    ] as [(String, String, String?)])
    func theClientIsTheUserAgentsProductAndVersion(userAgent: String, name: String, version: String?) {
        let product = Attribution.product(ofUserAgent: userAgent)
        #expect(product?.name == name)
        #expect(product?.version == version)
    }

    @Test(arguments: ["", "   "])
    func aUserAgentOfNoWordNamesNoClient(userAgent: String) {
        #expect(Attribution.product(ofUserAgent: userAgent) == nil)
    }
}

@Suite struct StatsFilterTests {
    @Test func sinceAndUntilTakeLocalDatesTimesOrMilliseconds() throws {
        let filter = try StatsFilter(parameters: ["range": "all", "since": "2026-12-01", "until": "2026-12-01T09:30", "project": "beta"])
        let midnight = try #require(StatsFilter.moment("2026-12-01"))
        #expect(filter.sinceMilliseconds == midnight)
        #expect(filter.untilMilliseconds == midnight + (9 * 60 + 30) * 60_000)
        #expect(try StatsFilter(parameters: ["since": "1764000000000"]).sinceMilliseconds == 1_764_000_000_000)
        let back = Dictionary(uniqueKeysWithValues: filter.queryItems)
        #expect(try StatsFilter(parameters: back) == filter, "what cco sends is what the daemon reads")
    }

    @Test(arguments: [["range": "year"], ["since": "yesterday"], ["until": "2026-13-01"], ["since": "2026-12-01T25:00"]])
    func aBadParameterIsNamed(parameters: [String: String]) {
        #expect(throws: StatsParameterError.self) { try StatsFilter(parameters: parameters) }
    }
}
