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
        activity.routedRequestStarted(now: 1)
        #expect(!activity.mayAnswerDirectly && !activity.isIdle)
        // Answered early, body still arriving: still blocking.
        activity.routedResponseEnded(now: 5)
        #expect(!activity.mayAnswerDirectly && !activity.isIdle)
        activity.routedRequestRead(now: 7)
        #expect(activity.mayAnswerDirectly && activity.isIdle)
        #expect(activity.lastActivity == 7)
    }

    @Test func answeringARequestReadWholeIsNeverIdleHoweverLong() {
        var activity = ConnectionActivity(now: 0)
        activity.routedRequestStarted(now: 0)
        activity.routedRequestRead(now: 1)
        #expect(activity.idleCheck(now: 1_000_000, timeout: 10) == .busy)
        var direct = ConnectionActivity(now: 0)
        direct.directAnswerStarted(now: 0)
        #expect(direct.idleCheck(now: 1_000_000, timeout: 10) == .busy)
        direct.directAnswerFinished(now: 500)
        #expect(direct.idleCheck(now: 505, timeout: 10) == .checkAgain(at: 510))
        #expect(direct.idleCheck(now: 510, timeout: 10) == .close)
    }

    @Test func aRequestBodyThatStopsIsClosedAtTheTimeoutSinceItsLastPart() {
        var activity = ConnectionActivity(now: 0)
        activity.routedRequestStarted(now: 10)
        activity.routedBodyRead(now: 20)
        #expect(activity.idleCheck(now: 25, timeout: 10) == .checkAgain(at: 30))
        activity.routedBodyRead(now: 28)
        #expect(activity.idleCheck(now: 30, timeout: 10) == .checkAgain(at: 38))
        #expect(activity.idleCheck(now: 38, timeout: 10) == .close)
        // Even with an early answer already owed for it.
        activity.routedResponseEnded(now: 40)
        #expect(activity.idleCheck(now: 50, timeout: 10) == .close)
    }

    @Test func aBodyTheFastPathHoldsIsTimedLikeARoutedOne() {
        var activity = ConnectionActivity(now: 0)
        activity.directRequestStarted(now: 10)
        #expect(!activity.isIdle && activity.mayAnswerDirectly)
        activity.directBodyRead(now: 20)
        #expect(activity.idleCheck(now: 25, timeout: 10) == .checkAgain(at: 30))
        #expect(activity.idleCheck(now: 30, timeout: 10) == .close)
        // Read whole, it is being answered: busy until the answer is sent.
        activity.directRequestRead(now: 31)
        #expect(activity.idleCheck(now: 1_000, timeout: 10) == .busy)
        activity.directAnswerFinished(now: 40)
        #expect(activity.isIdle && activity.idleCheck(now: 50, timeout: 10) == .close)
    }

    @Test func pipelinedRoutedRequestsAreCountedOneByOne() {
        var activity = ConnectionActivity(now: 0)
        activity.routedRequestStarted(now: 0)
        activity.routedRequestRead(now: 1)
        activity.routedRequestStarted(now: 1)
        activity.routedRequestRead(now: 2)
        activity.routedResponseEnded(now: 3)
        #expect(!activity.mayAnswerDirectly)
        activity.routedResponseEnded(now: 4)
        #expect(activity.mayAnswerDirectly && activity.lastActivity == 4)
        // An answer with no request behind it (a parse error's) never goes below zero.
        activity.routedResponseEnded(now: 5)
        #expect(activity.routedInFlight == 0 && activity.isIdle)
    }

    @Test func directAnswersKeepTheConnectionBusyButDoNotBlockMoreOfThem() {
        var activity = ConnectionActivity(now: 0)
        activity.directAnswerStarted(now: 1)
        activity.directAnswerStarted(now: 2)
        #expect(activity.mayAnswerDirectly && !activity.isIdle)
        activity.directAnswerFinished(now: 20)
        #expect(!activity.isIdle)
        activity.directAnswerFinished(now: 30)
        #expect(activity.isIdle && activity.lastActivity == 30)
    }
}
