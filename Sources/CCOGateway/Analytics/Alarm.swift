import Synchronization

/// A sleep another task can cut short: ``sleep(until:)`` returns at its deadline, when ``ring()``
/// is called, or when the sleeping task is cancelled, whichever comes first. A ring while nobody
/// sleeps is kept for the next sleep, so a ring is never lost between two sleeps.
///
/// The analytics writer sleeps on one while there is nothing to write, instead of waking on a
/// timer: an idle daemon then wakes only for its housekeeping.
final class Alarm: Sendable {
    private struct State {
        var rung = false
        var sleeper: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the sleeper, or the next one to sleep.
    func ring() {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let sleeper = state.sleeper else {
                state.rung = true
                return nil
            }
            state.sleeper = nil
            return sleeper
        }
        sleeper?.resume()
    }

    /// Returns at `deadline` (never, when nil), at a ring, or at cancellation. One sleeper at a time.
    func sleep(until deadline: ContinuousClock.Instant?) async {
        if state.withLock({ state in defer { state.rung = false }; return state.rung }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ringNow = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.sleeper = continuation
                    return false
                }
                if ringNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.sleeper = nil }
                return state.sleeper
            }
            sleeper?.resume()
        }
    }
}
