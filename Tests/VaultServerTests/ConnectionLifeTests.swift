import Testing
@testable import VaultServer

/// `ConnectionLife` on a manual clock: every event in every state, against a table whose every row was
/// checked by hand (`everyEventInEveryState`), then the rules one by one, with the times that matter.
@Suite struct ConnectionLifeTests {
    typealias Life = ConnectionLife
    static let limits = Life.Limits(idleTimeout: 100, sendTimeout: 50, lingerTimeout: 30, lingeringBodyBytes: 10)
    static let stuck = Life.SendProgress(waiting: 100, acknowledged: 0)

    /// A connection brought to a state by the events that lead there (times 0 to 13).
    static let states: [(name: String, make: @Sendable () -> Life)] = [
        ("waiting", { fresh() }),
        (
            "readingBody",
            {
                var life = fresh()
                _ = life.headRead(now: 5, keepAlive: true, expectsContinue: false)
                _ = life.bodyRead(now: 10, bytes: 4)
                return life
            }
        ),
        ("answering", { answering() }),
        (
            "flushing",
            {
                var life = answering()
                _ = life.answerBegins()
                _ = life.answerEnded(now: 12)
                return life
            }
        ),
        (
            "lingering",
            {
                var life = fresh()
                _ = life.headRead(now: 5, keepAlive: true, expectsContinue: false)
                _ = life.answerBegins()
                _ = life.answerEnded(now: 12)
                _ = life.answerFlushed(now: 13)
                return life
            }
        ),
        (
            "pipelined",
            {
                var life = answering()
                _ = life.headRead(now: 11, keepAlive: true, expectsContinue: false)
                return life
            }
        ),
        (
            "closeRequested",
            {
                var life = fresh()
                _ = life.headRead(now: 5, keepAlive: false, expectsContinue: false)
                _ = life.endRead(now: 10)
                return life
            }
        ),
        (
            "quiescing",
            {
                var life = answering()
                _ = life.quiesce(now: 11)
                return life
            }
        ),
        (
            "stalled",
            {
                var life = answering()
                _ = life.answerBegins()
                _ = life.writabilityChanged(writable: false, now: 11, progress: stuck)
                return life
            }
        ),
        (
            "beneath",
            {
                var life = fresh()
                _ = life.answeredBeneath(now: 5, closing: false)
                return life
            }
        ),
        (
            "closed",
            {
                var life = fresh()
                _ = life.quiesce(now: 1)
                return life
            }
        ),
    ]

    static func fresh() -> Life {
        var life = Life(limits: limits, now: 0)
        _ = life.opened(now: 0)
        return life
    }

    static func answering() -> Life {
        var life = fresh()
        _ = life.headRead(now: 5, keepAlive: true, expectsContinue: false)
        _ = life.endRead(now: 10)
        return life
    }

    /// Each event, at time 20 (timers at 1000, long past every deadline), and what it returned, as text.
    static let events: [(name: String, apply: @Sendable (inout Life) -> String)] = [
        ("head", { describe($0.headRead(now: 20, keepAlive: true, expectsContinue: false)) }),
        ("head close+expect", { describe($0.headRead(now: 20, keepAlive: false, expectsContinue: true)) }),
        ("body 20", { describe($0.bodyRead(now: 20, bytes: 20)) }),
        ("end", { describe($0.endRead(now: 20)) }),
        ("answerBegins", { $0.answerBegins() ? "Connection: close" : "keep-alive" }),
        ("answerEnded", { describe($0.answerEnded(now: 20)) }),
        ("beneath closing", { describe($0.answeredBeneath(now: 20, closing: true)) }),
        ("flushed", { describe($0.answerFlushed(now: 20)) }),
        ("unwritable", { describe($0.writabilityChanged(writable: false, now: 20, progress: stuck)) }),
        ("writable", { describe($0.writabilityChanged(writable: true, now: 20, progress: .init(waiting: 0, acknowledged: 0))) }),
        ("idle fires", { describe($0.idleTimerFired(now: 1_000)) }),
        ("send fires", { describe($0.sendTimerFired(now: 1_000, progress: stuck)) }),
        ("linger fires", { describe($0.lingerTimerFired(now: 1_000)) }),
        ("quiesce", { describe($0.quiesce(now: 20)) }),
        ("input closed", { describe($0.inputClosed(now: 20)) }),
        ("channel closed", { describe($0.channelClosed()) }),
    ]

    static func describe(_ actions: [Life.Action]) -> String {
        actions.map { action in
            switch action {
            case .sendContinue: "continue"
            case let .arm(timer, at): "arm \(timer)@\(at)"
            case let .cancel(timer): "cancel \(timer)"
            case .stopReading: "stop reading"
            case .closeOutput: "close output"
            case .close: "close"
            }
        }.joined(separator: ", ")
    }

    /// Every state × every event: "state | event | what it returned". Events a real connection cannot send in a
    /// state (a body with no request being read, a flush with nothing written) must change nothing that matters.
    static let expected = [
        "waiting | head |",
        "waiting | head close+expect | continue",
        "waiting | body 20 |",
        "waiting | end |",
        "waiting | answerBegins | keep-alive",
        "waiting | answerEnded |",
        "waiting | beneath closing |",
        "waiting | flushed |",
        "waiting | unwritable | arm send@70",
        "waiting | writable |",
        "waiting | idle fires | close",
        "waiting | send fires |",
        "waiting | linger fires |",
        "waiting | quiesce | close, cancel idle",
        "waiting | input closed | close, cancel idle",
        "waiting | channel closed | cancel idle",
        "readingBody | head |",
        "readingBody | head close+expect |",
        "readingBody | body 20 |",
        "readingBody | end |",
        "readingBody | answerBegins | keep-alive",
        "readingBody | answerEnded | arm linger@50",
        "readingBody | beneath closing |",
        "readingBody | flushed |",
        "readingBody | unwritable | arm send@70",
        "readingBody | writable |",
        "readingBody | idle fires | close",
        "readingBody | send fires |",
        "readingBody | linger fires |",
        "readingBody | quiesce |",
        "readingBody | input closed | close, cancel idle",
        "readingBody | channel closed | cancel idle",
        "answering | head |",
        "answering | head close+expect |",
        "answering | body 20 |",
        "answering | end |",
        "answering | answerBegins | keep-alive",
        "answering | answerEnded |",
        "answering | beneath closing |",
        "answering | flushed |",
        "answering | unwritable | arm send@70",
        "answering | writable |",
        "answering | idle fires |",
        "answering | send fires |",
        "answering | linger fires |",
        "answering | quiesce |",
        "answering | input closed |",
        "answering | channel closed | cancel idle",
        "flushing | head |",
        "flushing | head close+expect | continue",
        "flushing | body 20 |",
        "flushing | end |",
        "flushing | answerBegins | keep-alive",
        "flushing | answerEnded |",
        "flushing | beneath closing |",
        "flushing | flushed |",
        "flushing | unwritable | arm send@70",
        "flushing | writable |",
        "flushing | idle fires |",
        "flushing | send fires |",
        "flushing | linger fires |",
        "flushing | quiesce |",
        "flushing | input closed |",
        "flushing | channel closed | cancel idle",
        "lingering | head | cancel linger",
        "lingering | head close+expect | cancel linger, continue",
        "lingering | body 20 | stop reading, close output",
        "lingering | end | cancel linger",
        "lingering | answerBegins | keep-alive",
        "lingering | answerEnded |",
        "lingering | beneath closing |",
        "lingering | flushed |",
        "lingering | unwritable | arm send@70",
        "lingering | writable |",
        "lingering | idle fires | close, cancel linger",
        "lingering | send fires |",
        "lingering | linger fires | close, cancel idle",
        "lingering | quiesce |",
        "lingering | input closed | close, cancel idle, cancel linger",
        "lingering | channel closed | cancel idle, cancel linger",
        "pipelined | head |",
        "pipelined | head close+expect |",
        "pipelined | body 20 |",
        "pipelined | end |",
        "pipelined | answerBegins | keep-alive",
        "pipelined | answerEnded |",
        "pipelined | beneath closing |",
        "pipelined | flushed |",
        "pipelined | unwritable | arm send@70",
        "pipelined | writable |",
        "pipelined | idle fires | close",
        "pipelined | send fires |",
        "pipelined | linger fires |",
        "pipelined | quiesce |",
        "pipelined | input closed | close, cancel idle",
        "pipelined | channel closed | cancel idle",
        "closeRequested | head |",
        "closeRequested | head close+expect |",
        "closeRequested | body 20 |",
        "closeRequested | end |",
        "closeRequested | answerBegins | Connection: close",
        "closeRequested | answerEnded |",
        "closeRequested | beneath closing |",
        "closeRequested | flushed |",
        "closeRequested | unwritable | arm send@70",
        "closeRequested | writable |",
        "closeRequested | idle fires |",
        "closeRequested | send fires |",
        "closeRequested | linger fires |",
        "closeRequested | quiesce |",
        "closeRequested | input closed |",
        "closeRequested | channel closed | cancel idle",
        "quiescing | head |",
        "quiescing | head close+expect |",
        "quiescing | body 20 |",
        "quiescing | end |",
        "quiescing | answerBegins | Connection: close",
        "quiescing | answerEnded |",
        "quiescing | beneath closing |",
        "quiescing | flushed |",
        "quiescing | unwritable | arm send@70",
        "quiescing | writable |",
        "quiescing | idle fires |",
        "quiescing | send fires |",
        "quiescing | linger fires |",
        "quiescing | quiesce |",
        "quiescing | input closed |",
        "quiescing | channel closed | cancel idle",
        "stalled | head |",
        "stalled | head close+expect |",
        "stalled | body 20 |",
        "stalled | end |",
        "stalled | answerBegins | keep-alive",
        "stalled | answerEnded |",
        "stalled | beneath closing |",
        "stalled | flushed |",
        "stalled | unwritable |",
        "stalled | writable |",
        "stalled | idle fires |",
        "stalled | send fires | close, cancel idle",
        "stalled | linger fires |",
        "stalled | quiesce |",
        "stalled | input closed |",
        "stalled | channel closed | cancel idle, cancel send",
        "beneath | head |",
        "beneath | head close+expect | continue",
        "beneath | body 20 |",
        "beneath | end |",
        "beneath | answerBegins | keep-alive",
        "beneath | answerEnded |",
        "beneath | beneath closing |",
        "beneath | flushed |",
        "beneath | unwritable | arm send@70",
        "beneath | writable |",
        "beneath | idle fires |",
        "beneath | send fires |",
        "beneath | linger fires |",
        "beneath | quiesce |",
        "beneath | input closed |",
        "beneath | channel closed | cancel idle",
        "closed | head |",
        "closed | head close+expect |",
        "closed | body 20 |",
        "closed | end |",
        "closed | answerBegins | Connection: close",
        "closed | answerEnded |",
        "closed | beneath closing |",
        "closed | flushed |",
        "closed | unwritable |",
        "closed | writable |",
        "closed | idle fires |",
        "closed | send fires |",
        "closed | linger fires |",
        "closed | quiesce |",
        "closed | input closed |",
        "closed | channel closed |",
    ]

    @Test func everyEventInEveryState() {
        var table: [String] = []
        for state in Self.states {
            for event in Self.events {
                var life = state.make()
                let result = event.apply(&life)
                table.append("\(state.name) | \(event.name) | \(result)".trimmingCharacters(in: .whitespaces))
                // Invariants, whatever the event.
                #expect(life.owed >= 0 && life.unflushed >= 0)
                if life.closed { #expect(!life.passesRequests && Life.Timer.allCases.allSatisfy { !life.isArmed($0) }) }
            }
        }
        #expect(table.count == Self.expected.count)
        for (row, expected) in zip(table, Self.expected) { #expect(row == expected) }
    }

    @Test func theHeaderDeadlineRunsFromTheLastEvent() {
        var life = Self.fresh()
        #expect(life.idleTimerFired(now: 50) == [.arm(.idle, at: 100)])
        #expect(life.idleTimerFired(now: 100) == [.close])
        // After an answer, the next head is due within the timeout of its flush.
        var reused = Self.answering()
        _ = reused.answerBegins()
        _ = reused.answerEnded(now: 40)
        #expect(reused.answerFlushed(now: 45) == [])
        #expect(reused.idleTimerFired(now: 100) == [.arm(.idle, at: 145)])
        #expect(reused.idleTimerFired(now: 145) == [.close])
    }

    @Test func aRequestReadWholeIsAnsweredHoweverLongItTakesAndTheTimerComesBackAfter() {
        var life = Self.answering()
        #expect(life.idleTimerFired(now: 5_000) == [])
        #expect(!life.isArmed(.idle))
        _ = life.answerBegins()
        #expect(life.answerEnded(now: 6_000) == [])
        #expect(life.answerFlushed(now: 6_001) == [.arm(.idle, at: 6_101)])
    }

    @Test func aBodyThatStopsIsClosedEvenWithItsAnswerOwed() {
        var life = Self.fresh()
        _ = life.headRead(now: 10, keepAlive: true, expectsContinue: false)
        _ = life.bodyRead(now: 60, bytes: 1)
        #expect(life.idleTimerFired(now: 100) == [.arm(.idle, at: 160)])
        #expect(life.idleTimerFired(now: 160) == [.close])
    }

    @Test func continueForAPipelinedRequestWaitsForTheAnswersBeforeIt() {
        var life = Self.answering()
        #expect(life.headRead(now: 11, keepAlive: true, expectsContinue: true) == [])
        _ = life.answerBegins()
        #expect(life.answerEnded(now: 12) == [.sendContinue])
        // Once only.
        #expect(life.answerFlushed(now: 13) == [])
        #expect(life.endRead(now: 14) == [])
    }

    @Test func continueIsNotOwedOnceTheBodyCameAnyway() {
        var life = Self.answering()
        _ = life.headRead(now: 11, keepAlive: true, expectsContinue: true)
        _ = life.bodyRead(now: 12, bytes: 3)
        _ = life.endRead(now: 13)
        _ = life.answerBegins()
        #expect(life.answerEnded(now: 14) == [])
    }

    @Test func aSmallBodyLeftBehindAnEarlyAnswerIsReadAndTheConnectionReused() {
        var life = Self.fresh()
        _ = life.headRead(now: 5, keepAlive: true, expectsContinue: false)
        _ = life.answerBegins()
        #expect(life.answerEnded(now: 6) == [.arm(.linger, at: 36)])
        #expect(life.answerFlushed(now: 7) == [])
        #expect(life.bodyRead(now: 8, bytes: 10) == [])
        #expect(life.endRead(now: 9) == [.cancel(.linger)])
        #expect(life.isIdle && life.passesRequests && !life.refusingInput)
    }

    @Test func aLargeBodyLeftBehindAnEarlyAnswerIsRefusedThenClosed() {
        var life = Self.fresh()
        _ = life.headRead(now: 5, keepAlive: true, expectsContinue: false)
        _ = life.answerBegins()
        _ = life.answerEnded(now: 6)
        #expect(life.bodyRead(now: 8, bytes: 6) == [])
        #expect(life.bodyRead(now: 9, bytes: 6) == [.stopReading, .closeOutput])
        #expect(life.refusingInput && !life.passesRequests)
        #expect(life.bodyRead(now: 10, bytes: 600) == [])
        #expect(life.lingerTimerFired(now: 36) == [.close, .cancel(.idle)])
    }

    @Test func theRequestThatAsksToCloseIsTheLastAndItsAnswerSaysSo() {
        var life = Self.fresh()
        _ = life.headRead(now: 1, keepAlive: true, expectsContinue: false)
        _ = life.endRead(now: 2)
        _ = life.headRead(now: 3, keepAlive: false, expectsContinue: false)
        // Its own body still passes.
        #expect(life.passesRequests)
        _ = life.endRead(now: 4)
        #expect(!life.passesRequests)
        let first = life.answerBegins()
        #expect(!first, "the first answer keeps the connection")
        _ = life.answerEnded(now: 5)
        #expect(life.answerFlushed(now: 6) == [])
        let second = life.answerBegins()
        #expect(second, "the second says Connection: close")
        _ = life.answerEnded(now: 7)
        #expect(life.answerFlushed(now: 8) == [.closeOutput])
        #expect(life.answerFlushed(now: 9) == [], "once")
    }

    @Test func anAnswerWrittenBeneathTheParserThatClosesClosesTheOutputOnceFlushed() {
        var life = Self.fresh()
        #expect(life.answeredBeneath(now: 1, closing: true) == [])
        #expect(life.idleTimerFired(now: 500) == [])
        #expect(life.answerFlushed(now: 501) == [.closeOutput, .arm(.idle, at: 601)])
        #expect(!life.passesRequests)
    }

    @Test func aSlowReaderIsNotAStalledOne() {
        var life = Self.answering()
        _ = life.answerBegins()
        #expect(life.writabilityChanged(writable: false, now: 11, progress: .init(waiting: 100, acknowledged: 0)) == [.arm(.send, at: 61)])
        // The peer acknowledged bytes: measured again from now.
        #expect(life.sendTimerFired(now: 61, progress: .init(waiting: 100, acknowledged: 5)) == [.arm(.send, at: 111)])
        // NIO's queue shrank (where the kernel does not say): progress too.
        #expect(life.sendTimerFired(now: 111, progress: .init(waiting: 90, acknowledged: 5)) == [.arm(.send, at: 161)])
        // More queued behind, nothing taken: not progress.
        #expect(life.sendTimerFired(now: 161, progress: .init(waiting: 200, acknowledged: 5)) == [.close, .cancel(.idle)])
    }

    @Test func aSocketThatTookOutputAgainEndsTheStall() {
        var life = Self.answering()
        _ = life.writabilityChanged(writable: false, now: 11, progress: Self.stuck)
        #expect(life.writabilityChanged(writable: true, now: 20, progress: .init(waiting: 0, acknowledged: 0)) == [])
        #expect(life.sendTimerFired(now: 61, progress: Self.stuck) == [])
        // A new stall arms the check again.
        #expect(life.writabilityChanged(writable: false, now: 70, progress: Self.stuck) == [.arm(.send, at: 120)])
    }

    @Test func quiescingFinishesWhatIsOwedThenCloses() {
        var life = Self.answering()
        _ = life.headRead(now: 11, keepAlive: true, expectsContinue: false)
        _ = life.endRead(now: 12)
        #expect(life.quiesce(now: 13) == [])
        let first = life.answerBegins()
        _ = life.answerEnded(now: 14)
        #expect(life.answerFlushed(now: 15) == [])
        let second = life.answerBegins()
        #expect(first && second)
        _ = life.answerEnded(now: 16)
        #expect(life.answerFlushed(now: 17) == [.close, .cancel(.idle)])
    }

    @Test func aPeerThatHalfClosesIsAnsweredThenClosed() {
        var life = Self.answering()
        #expect(life.inputClosed(now: 11) == [])
        _ = life.answerBegins()
        _ = life.answerEnded(now: 12)
        #expect(life.answerFlushed(now: 13) == [.close, .cancel(.idle)])
    }

    @Test func limitsComeFromTheConfiguredSeconds() {
        let limits = Life.Limits(ConnectionLimits(idleTimeoutSeconds: 2, sendTimeoutSeconds: 3, lingeringBodyBytes: 7, lingeringSeconds: 4))
        #expect(
            limits
                == Life.Limits(idleTimeout: 2_000_000_000, sendTimeout: 3_000_000_000, lingerTimeout: 4_000_000_000, lingeringBodyBytes: 7))
    }
}
