import Testing
@testable import VaultServer

/// The rules the fast path's handler follows for ordering and the idle timeout, with time passed in.
@Suite struct ConnectionActivityTests {
    @Test func aNewConnectionIsIdleFromItsStart() {
        let activity = ConnectionActivity(now: 100)
        #expect(activity.isIdle && activity.mayAnswerDirectly)
        #expect(activity.idleCheck(now: 150, timeout: 100) == .checkAgain(at: 200))
        #expect(activity.idleCheck(now: 200, timeout: 100) == .close)
    }

    @Test func aRoutedRequestBlocksDirectAnswersUntilItsResponseEndsAndItsBodyIsRead() {
        var activity = ConnectionActivity(now: 0)
        activity.routedRequestStarted()
        #expect(!activity.mayAnswerDirectly && !activity.isIdle)
        #expect(activity.idleCheck(now: 1_000, timeout: 10) == .busy)
        // Answered early, body still arriving: still busy, still blocking.
        activity.routedResponseEnded(now: 5)
        #expect(!activity.mayAnswerDirectly && !activity.isIdle)
        activity.routedRequestRead(now: 7)
        #expect(activity.mayAnswerDirectly && activity.isIdle)
        #expect(activity.idleSince == 7)
    }

    @Test func pipelinedRoutedRequestsAreCountedOneByOne() {
        var activity = ConnectionActivity(now: 0)
        activity.routedRequestStarted()
        activity.routedRequestRead(now: 1)
        activity.routedRequestStarted()
        activity.routedRequestRead(now: 2)
        activity.routedResponseEnded(now: 3)
        #expect(!activity.mayAnswerDirectly)
        activity.routedResponseEnded(now: 4)
        #expect(activity.mayAnswerDirectly && activity.idleSince == 4)
        // An answer with no request behind it (a parse error's) never goes below zero.
        activity.routedResponseEnded(now: 5)
        #expect(activity.routedInFlight == 0 && activity.idleSince == 4)
    }

    @Test func directAnswersKeepTheConnectionBusyButDoNotBlockMoreOfThem() {
        var activity = ConnectionActivity(now: 0)
        activity.directAnswerStarted()
        activity.directAnswerStarted()
        #expect(activity.mayAnswerDirectly && !activity.isIdle)
        #expect(activity.idleCheck(now: 500, timeout: 10) == .busy)
        activity.directAnswerFinished(now: 20)
        #expect(!activity.isIdle)
        activity.directAnswerFinished(now: 30)
        #expect(activity.isIdle && activity.idleSince == 30)
        #expect(activity.idleCheck(now: 35, timeout: 10) == .checkAgain(at: 40))
        #expect(activity.idleCheck(now: 40, timeout: 10) == .close)
    }

    @Test func idleSinceIsTheLastTimeTheConnectionBecameIdle() {
        var activity = ConnectionActivity(now: 0)
        activity.directAnswerStarted()
        activity.directAnswerFinished(now: 50)
        activity.routedRequestStarted()
        #expect(activity.idleSince == nil)
        activity.routedRequestRead(now: 60)
        activity.routedResponseEnded(now: 70)
        #expect(activity.idleSince == 70)
        #expect(activity.idleCheck(now: 75, timeout: 10) == .checkAgain(at: 80))
    }
}
