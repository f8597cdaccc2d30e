import CCOAnalytics
import CCOCore
import Testing
@testable import CCOGateway

@Suite(.timeLimit(.minutes(1))) struct CallEventsTests {
    static func call(_ id: Int64) -> CallRecord {
        CallRecord(id: id, record: RequestRecord(timestampMilliseconds: 1000 * id, route: "/v1/messages", model: "claude-sonnet-4-5",
                                                 status: 200, latencyMilliseconds: 10))
    }

    static func ids(_ stream: AsyncStream<CallEvents.Event>, count: Int) async -> [Int64] {
        var ids: [Int64] = []
        for await event in stream {
            if case .call(let call) = event { ids.append(call.id) }
            if ids.count == count { break }
        }
        return ids
    }

    @Test func everySubscriberGetsEveryCallInOrder() async {
        let events = CallEvents()
        #expect(!events.hasSubscribers)
        let first = events.subscribe()!, second = events.subscribe()!
        #expect(first.first && !second.first, "the first subscriber is told it is")
        #expect(events.subscriberCount == 2)
        events.publish([Self.call(1), Self.call(2)])
        events.publish([Self.call(3)])
        #expect(await Self.ids(first.stream, count: 3) == [1, 2, 3])
        #expect(await Self.ids(second.stream, count: 3) == [1, 2, 3])
    }

    @Test func aSubscriberTooFarBehindIsEndedRatherThanSilentlyMissingCalls() async {
        let events = CallEvents(bufferLimit: 4)
        let slow = events.subscribe()!.stream
        events.publish((1 ... 6).map(Self.call))
        var received: [Int64] = []
        for await event in slow { if case .call(let call) = event { received.append(call.id) } }
        #expect(received == [1, 2, 3, 4], "the stream ends after what it holds; its client reconnects from id 4")
        #expect(await Self.waitUntil { events.subscriberCount == 0 })
    }

    /// What a `HEAD` of `/api/events` leaves: a subscription made and let go of without being read.
    @Test func aSubscriptionLetGoOfUnreadIsRemoved() async {
        let events = CallEvents()
        do {
            let unread = events.subscribe()
            #expect(unread != nil && events.subscriberCount == 1)
        }
        #expect(await Self.waitUntil { events.subscriberCount == 0 })
    }

    @Test func drainingEndsEveryStreamAndRefusesNewOnes() async {
        let events = CallEvents()
        let open = events.subscribe()!.stream
        events.endAll()
        var count = 0
        for await _ in open { count += 1 }
        #expect(count == 0)
        #expect(events.subscribe() == nil)
    }

    @Test func aQuietStreamIsKeptAlive() async {
        let events = CallEvents(keepAliveInterval: .milliseconds(20))
        let stream = events.subscribe()!.stream
        var first: CallEvents.Event?
        for await event in stream {
            first = event
            break
        }
        #expect(first == .keepAlive)
    }

    static func waitUntil(_ condition: () -> Bool) async -> Bool {
        for _ in 0 ..< 200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }
}
