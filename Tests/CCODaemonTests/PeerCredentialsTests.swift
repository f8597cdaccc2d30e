import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Testing
import CCOCore
@testable import CCODaemon

@Suite struct PeerCredentialsTests {
    /// A real loopback connection: the client end, as the daemon sees it from its accepted socket.
    func withLoopbackConnection(_ body: (_ peer: TCPEndpoint, _ local: TCPEndpoint) throws -> Void) throws {
        let listener = try ListeningSocket.bind(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let port = try #require(listener.localAddress?.port)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        // Connected through NIO's `SocketAddress`, and the local port read as bytes 2-3 of the
        // `sockaddr_in`, as the daemon reads one (`TCPEndpoint(_:)`): its fields by name are declared
        // by whichever C module the compiler met first, NIO's or Glibc's, which varies with how a
        // build groups the files.
        let connected = try SocketAddress(ipAddress: "127.0.0.1", port: port).withSockAddr { connect(client, $0, socklen_t($1)) }
        #expect(connected == 0)
        var mine = [UInt8](repeating: 0, count: 16), length = socklen_t(16)
        _ = mine.withUnsafeMutableBytes { getsockname(client, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }
        let peer = TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: UInt16(mine[2]) << 8 | UInt16(mine[3]))
        try body(peer, TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: UInt16(port)))
    }

    @Test func theOwnerOfALoopbackPeerIsFoundBySockDiagAndInProcNet() throws {
        try withLoopbackConnection { (peer: TCPEndpoint, local: TCPEndpoint) throws in
            let owner = try PeerCredentials.owner(ofPeer: peer, connectedTo: local).get()
            #expect(owner == getuid())
            #expect(PeerCredentials.procNet(peer: peer, local: local) == getuid(), "the fallback agrees")
            // Not this connection: the kernel finds no such socket.
            var other = peer
            other.port = peer.port == 65535 ? 1 : peer.port + 1
            #expect(throws: PeerCredentials.LookupError.self) { try PeerCredentials.owner(ofPeer: other, connectedTo: local).get() }
        }
    }

    /// With no connection for the 4-tuple, the kernel answers with a socket listening on the looked-up
    /// source's port, if there is one: that is not the peer's owner.
    @Test func aListenerOnThePeersPortIsNotTakenForThePeer() throws {
        let decoy = try ListeningSocket.bind(host: "127.0.0.1", port: 0)
        defer { decoy.close() }
        try withLoopbackConnection { (_: TCPEndpoint, local: TCPEndpoint) throws in
            let port = try #require(decoy.localAddress?.port)
            let absent = TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: UInt16(port))
            #expect(throws: PeerCredentials.LookupError.self) { try PeerCredentials.owner(ofPeer: absent, connectedTo: local).get() }
        }
    }

    @Test func theRequestIsAnExactFourTupleInetDiagReqV2() {
        let bytes = PeerCredentials.request(peer: TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: 0x1234),
                                            local: TCPEndpoint(family: AF_INET, address: [127, 0, 0, 2], port: 3000), sequence: 7)
        #expect(bytes.count == 72)
        #expect(Array(bytes[0 ..< 8]) == [72, 0, 0, 0, 20, 0, 1, 0], "nlmsghdr: length, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST")
        #expect(Array(bytes[16 ..< 20]) == [UInt8(AF_INET), UInt8(IPPROTO_TCP), 0, 0])
        #expect(Array(bytes[24 ..< 28]) == [0x12, 0x34, 0x0b, 0xb8], "source and destination ports in network order")
        #expect(Array(bytes[28 ..< 32]) == [127, 0, 0, 1] && Array(bytes[44 ..< 48]) == [127, 0, 0, 2])
        #expect(Array(bytes[64 ..< 72]) == [UInt8](repeating: 0xff, count: 8), "INET_DIAG_NOCOOKIE")
    }

    @Test func endpointsReadAsTheKernelAndPeopleWriteThem() {
        let v4 = TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: 3000)
        #expect(PeerCredentials.hex(v4) == "0100007F:0BB8", "as /proc/net/tcp prints it")
        #expect(v4.description == "127.0.0.1:3000" && v4.isLoopback)
        let mapped = TCPEndpoint(family: AF_INET6, address: [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 127, 0, 0, 9], port: 80)
        #expect(mapped.isLoopback && mapped.description == "127.0.0.9:80")
        let v6 = TCPEndpoint(family: AF_INET6, address: [UInt8](repeating: 0, count: 15) + [1], port: 80)
        #expect(v6.isLoopback && v6.description == "[0:0:0:0:0:0:0:1]:80")
        #expect(!TCPEndpoint(family: AF_INET, address: [10, 0, 0, 1], port: 80).isLoopback)
    }
}
