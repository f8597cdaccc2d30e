import Testing
@testable import CCOCore

@Suite struct LoopbackHTTPClientTests {
    @Test func parsesStatusAndBody() throws {
        let reply = try #require(LoopbackHTTPClient.parse(Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}".utf8), latency: .zero))
        #expect(reply.status == 503)
        #expect(reply.body == "{}")
    }

    @Test func rejectsWhatIsNotHTTP() {
        #expect(LoopbackHTTPClient.parse(Array("SSH-2.0-OpenSSH\r\n".utf8), latency: .zero) == nil)
    }

    @Test func closedPortIsConnectionRefused() {
        // Port 1 on loopback has no listener on these machines.
        guard case .failure(let failure) = LoopbackHTTPClient.get(host: "127.0.0.1", port: 1, path: "/health", timeout: .seconds(1)) else {
            Issue.record("expected no answer on port 1")
            return
        }
        #expect(failure.description == "connection refused")
    }
}
