import Testing
@testable import CCOGateway

@Suite(.timeLimit(.minutes(1))) struct AlarmTests {
    @Test func aRingBeforeTheSleepIsKeptForIt() async {
        let alarm = Alarm()
        alarm.ring()
        let clock = ContinuousClock()
        let slept = await clock.measure { await alarm.sleep(until: nil) }
        #expect(slept < .seconds(5), "a sleep with no deadline returned: the earlier ring woke it")
    }

    @Test func aRingWakesASleeperWithNoDeadline() async {
        let alarm = Alarm()
        let sleeper = Task { await alarm.sleep(until: nil) }
        try? await Task.sleep(for: .milliseconds(20))
        alarm.ring()
        await sleeper.value
    }

    @Test func theDeadlineEndsTheSleepWithoutARing() async {
        let alarm = Alarm()
        let clock = ContinuousClock()
        let slept = await clock.measure { await alarm.sleep(until: clock.now + .milliseconds(30)) }
        #expect(slept >= .milliseconds(30))
        // Nothing was kept: the next sleep lasts until its own deadline.
        let next = await clock.measure { await alarm.sleep(until: clock.now + .milliseconds(30)) }
        #expect(next >= .milliseconds(30))
    }

    @Test func cancellingTheSleeperEndsTheSleep() async {
        let alarm = Alarm()
        let sleeper = Task { await alarm.sleep(until: nil) }
        try? await Task.sleep(for: .milliseconds(20))
        sleeper.cancel()
        await sleeper.value
        // The cancellation took no ring with it: a ring now is kept for the next sleep.
        alarm.ring()
        await alarm.sleep(until: nil)
    }
}
