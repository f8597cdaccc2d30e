import Synchronization

/// The upstream calls in flight, bounded by `upstream_max_connections`: each call holds one upstream
/// connection from its request until the last byte of its answer (a stream, for minutes), so the
/// pool is sized to the same bound and a call never waits for a connection. A call past the bound is
/// refused at once instead of queueing behind streams that may run for minutes.
final class UpstreamSlots: Sendable {
    let capacity: Int
    private let inFlight = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Calls holding a slot now.
    var count: Int { inFlight.load(ordering: .relaxed) }

    /// A slot, or `nil` when all `capacity` are taken. The slot is given back when the returned
    /// value is released, however the call ends (answered, failed, or its client gone before the
    /// body was ever read).
    func take() -> Slot? {
        let (taken, _) = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing)
        guard taken < capacity else {
            inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return nil
        }
        return Slot(owner: self)
    }

    fileprivate func giveBack() {
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }

    /// One call's hold on a slot, released with the last reference to it.
    final class Slot: Sendable {
        private let owner: UpstreamSlots

        fileprivate init(owner: UpstreamSlots) {
            self.owner = owner
        }

        deinit { owner.giveBack() }
    }
}
