// What the daemon's peer check costs per connection: the kernel lookup of who owns the client end
// of a loopback connection (PeerCredentials: NETLINK_SOCK_DIAG, exact 4-tuple), on a live connection.
//
//   peer-lookup-bench [LOOKUPS]     prints "N lookups: X µs each (uid U)"
import CCODaemon
import Glibc

let lookups = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 20_000
func check(_ ok: Bool, _ what: String) { if !ok { fatalError("\(what): errno \(errno)") } }

let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
var length = socklen_t(MemoryLayout<sockaddr_in>.size)
check(withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, length) } } == 0, "bind")
check(listen(server, 8) == 0, "listen")
check(withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(server, $0, &length) } } == 0, "getsockname")
let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
check(withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } } == 0, "connect")
var mine = sockaddr_in()
check(withUnsafeMutablePointer(to: &mine) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) } } == 0, "getsockname")
let peer = TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: UInt16(bigEndian: mine.sin_port))
let local = TCPEndpoint(family: AF_INET, address: [127, 0, 0, 1], port: UInt16(bigEndian: address.sin_port))

var uid: UInt32 = 0
let clock = ContinuousClock()
let elapsed = clock.measure {
    for _ in 0 ..< lookups {
        switch PeerCredentials.owner(ofPeer: peer, connectedTo: local) {
        case .success(let owner): uid = owner
        case .failure(let error): fatalError("\(error)")
        }
    }
}
let microseconds = (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(lookups)
print("\(lookups) lookups: \((microseconds * 10).rounded() / 10) µs each (uid \(uid))")
