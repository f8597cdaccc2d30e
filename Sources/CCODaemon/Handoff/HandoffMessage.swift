/// The handoff conversation on `handoff.sock`, one line per message:
///
///     new → old   TAKEOVER 1 <pid>
///     old → new   LISTENER <pid>          (the listening socket attached, SCM_RIGHTS)
///     new → old   READY <pid>             (started: database open, cache restored)
///     old → new   DRAINING                (has stopped accepting; finishes its requests, exits)
///
/// The new daemon accepts from the socket after DRAINING, so the two never accept at once; the
/// socket stays open throughout and the kernel queues connections for the moment between. When the
/// new one fails before READY, its end closes and the old one simply goes on serving.
enum HandoffMessage: Equatable, Sendable {
    case takeover(version: Int, pid: Int32)
    case listener(pid: Int32)
    case ready(pid: Int32)
    case draining

    static let version = 1

    var line: String {
        switch self {
        case .takeover(let version, let pid): "TAKEOVER \(version) \(pid)"
        case .listener(let pid): "LISTENER \(pid)"
        case .ready(let pid): "READY \(pid)"
        case .draining: "DRAINING"
        }
    }

    init?(line: String) {
        let words = line.split(separator: " ")
        switch (words.first, words.count) {
        case ("TAKEOVER", 3):
            guard let version = Int(words[1]), let pid = Int32(words[2]) else { return nil }
            self = .takeover(version: version, pid: pid)
        case ("LISTENER", 2):
            guard let pid = Int32(words[1]) else { return nil }
            self = .listener(pid: pid)
        case ("READY", 2):
            guard let pid = Int32(words[1]) else { return nil }
            self = .ready(pid: pid)
        case ("DRAINING", 1):
            self = .draining
        default:
            return nil
        }
    }
}
