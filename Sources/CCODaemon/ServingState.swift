import Synchronization

/// Where the daemon is in its life, as `/ready` reports it.
public enum ServingPhase: UInt8, Sendable {
    case starting, serving, stopping

    public var name: String {
        switch self {
        case .starting: "starting"
        case .serving: "serving"
        case .stopping: "stopping"
        }
    }
}

/// The daemon's phase, shared between the services that change it and the routes that read it.
public final class ServingState: Sendable {
    private let phase = Atomic<UInt8>(ServingPhase.starting.rawValue)
    private let boundPort = Atomic<Int>(0)

    public init() {}

    public var current: ServingPhase {
        ServingPhase(rawValue: phase.load(ordering: .acquiring)) ?? .starting
    }

    public func set(_ newPhase: ServingPhase) {
        phase.store(newPhase.rawValue, ordering: .releasing)
    }

    /// The port the listener is bound to (0 until it is).
    public var port: Int {
        get { boundPort.load(ordering: .acquiring) }
    }

    public func setPort(_ port: Int) {
        boundPort.store(port, ordering: .releasing)
    }
}
