import Testing
@testable import CCOCore

/// Inputs that made toml++ (inside TOMLKit) abort the process, found by scripts/faults: each must be
/// a one-line config error instead.
@Suite struct TOMLSafetyTests {
    @Test(arguments: ["[.a]", "[ =]", "[[ #x]]", "port = 1 # [x\n[!b]", "[a]\n[\tém]"])
    func aMalformedTableHeaderIsAOneLineErrorNotACrash(text: String) {
        do {
            _ = try DaemonConfig.parse(text, file: "c.toml")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains("invalid TOML: a table name must start with"), "\(error)")
            #expect(error.line == text.split(separator: "\n").count)
        }
    }

    @Test func bracketsInsideValuesAreNotHeaders() {
        #expect(firstMalformedTableHeader(in: "x = [\n  [1, 2],\n  [.5],\n]\n") == nil)
        #expect(firstMalformedTableHeader(in: "x = \"\"\"\n[.a]\n\"\"\"\n[ok]\n") == nil)
        #expect(firstMalformedTableHeader(in: "x = '''\n[=]\n'''\n[.bad]\n") == 4)
    }
}
