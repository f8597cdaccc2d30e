import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import SystemPackage
@testable import CCODaemon
import CCOCore

@Suite struct ListeningSocketTests {
    @Test func bindsAFreePortAndKnowsItsAddress() throws {
        let socket = try ListeningSocket.bind(host: "127.0.0.1", port: 0)
        defer { socket.close() }
        let address = try #require(socket.localAddress)
        #expect(address.host == "127.0.0.1" && address.port > 0)
        #expect(socket.isBound(toHost: "127.0.0.1", port: address.port))
        #expect(socket.isBound(toHost: "localhost", port: 0), "localhost resolves to 127.0.0.1, and port 0 takes any")
        #expect(!socket.isBound(toHost: "127.0.0.1", port: address.port == 65535 ? 1 : address.port + 1))
    }

    @Test func aTakenPortFailsWithEADDRINUSE() throws {
        let first = try ListeningSocket.bind(host: "127.0.0.1", port: 0)
        defer { first.close() }
        let port = try #require(first.localAddress?.port)
        #expect {
            try ListeningSocket.bind(host: "127.0.0.1", port: port)
        } throws: { error in
            (error as? SocketError)?.errno == .addressInUse && "\(error)".contains("127.0.0.1:\(port)")
        }
    }

    @Test func anAddressOfNoInterfaceFailsWithEADDRNOTAVAIL() {
        #expect {
            try ListeningSocket.bind(host: "192.0.2.1", port: 0)
        } throws: { error in
            (error as? SocketError)?.errno == .addressNotAvailable
        }
    }
}

@Suite struct UnixStreamTests {
    func directory() -> String {
        let path = "/tmp/cco-us-\(UUID().uuidString.prefix(8))"
        mkdir(path, 0o700)
        return path
    }

    @Test func aListeningSocketPassesToAnotherEndStillListening() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, inode) = try UnixStream.listen(at: dir + "/h.sock")
        #expect((try FileManager.default.attributesOfItem(atPath: dir + "/h.sock")[.posixPermissions] as? Int) == 0o600)
        #expect(UnixStream.isStillBound(at: dir + "/h.sock", inode: inode))

        let tcp = try ListeningSocket.bind(host: "127.0.0.1", port: 0)
        let port = try #require(tcp.localAddress?.port)
        let client = try UnixStream.connect(to: dir + "/h.sock")
        let accepted = try #require(try server.accept(timeout: .seconds(2)))
        #expect(accepted.peerUID == getuid())
        try accepted.send("LISTENER 1", passing: [tcp.fd])
        tcp.close()  // the sender's copy; the socket lives on in the receiver's
        let received = try #require(try client.receive(timeout: .seconds(2)))
        #expect(received.message == "LISTENER 1")
        #expect(received.fds.count == 1)
        let passed = ListeningSocket(fd: received.fds[0])
        defer { passed.close() }
        #expect(passed.localAddress?.port == port)
        #expect(fcntl(passed.fd, F_GETFD) & FD_CLOEXEC != 0)
        // Still listening: a connection is accepted through the passed descriptor.
        guard case .failure = LoopbackHTTPClient.get(host: "127.0.0.1", port: port, path: "/", timeout: .milliseconds(200)) else {
            Issue.record("nothing should answer HTTP here"); return
        }
        #expect(accept(passed.fd, nil, nil) >= 0)
    }

    @Test func aClosedPeerReadsAsNil() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, _) = try UnixStream.listen(at: dir + "/h.sock")
        let client = try UnixStream.connect(to: dir + "/h.sock")
        let accepted = try #require(try server.accept(timeout: .seconds(2)))
        client.close()
        #expect(try accepted.receive(timeout: .seconds(2)) == nil)
    }

    @Test func nothingListeningIsENOENTOrECONNREFUSED() {
        #expect {
            try UnixStream.connect(to: "/tmp/cco-no-such-\(UUID().uuidString.prefix(8)).sock")
        } throws: { error in
            (error as? SocketError)?.errno == .noSuchFileOrDirectory
        }
    }
}
