import Foundation

/// Calls counted and faults scripted, shared by all requests.
actor FakeState {
    private(set) var totalCalls = 0
    private(set) var callsByVoice: [String: Int] = [:]
    private(set) var callsByEndpoint: [String: Int] = [:]
    /// When each voice's calls arrived (seconds on the fake's monotonic clock), the last 100 per voice: for tests
    /// that check the spacing of retries from the upstream's side, whatever the load on the caller.
    private(set) var callTimesByVoice: [String: [Double]] = [:]
    private let started = ContinuousClock.now
    private(set) var running = 0
    /// Whether held generations may go on (`POST /_fake/release`), and those waiting for it.
    private var released = false
    private var holding: [CheckedContinuation<Void, Never>] = []
    private(set) var peakConcurrent = 0
    private var scripts: [String: [FakeAction]] = [:]
    /// The last request bodies received, newest last (for tests that check what was sent).
    private(set) var recentBodies: [String] = []
    /// The `request-id`s given out, the last 10,000: what `previous_request_ids` may name, as upstream only
    /// stitches to its own generations.
    private var issuedRequestIds: [String] = []
    private var issuedRequestIdSet: Set<String> = []
    let maximumConcurrent: Int

    init(maximumConcurrent: Int) {
        self.maximumConcurrent = maximumConcurrent
    }

    /// Records a call and returns the action for it: the request's own, else the voice's next scripted one.
    func begin(voice: String, endpoint: String, requested: FakeAction?) -> FakeAction {
        totalCalls += 1
        callsByVoice[voice, default: 0] += 1
        callsByEndpoint[endpoint, default: 0] += 1
        let elapsed = ContinuousClock.now - started
        callTimesByVoice[voice, default: []].append(
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if let count = callTimesByVoice[voice]?.count, count > 100 { callTimesByVoice[voice]?.removeFirst(count - 100) }
        if let requested { return requested }
        if var queue = scripts[voice], !queue.isEmpty {
            let next = queue.removeFirst()
            scripts[voice] = queue
            return next
        }
        return .ok
    }

    /// Takes a concurrency slot; false when the plan's limit is reached (the real API answers 429).
    func enter() -> Bool {
        if maximumConcurrent > 0, running >= maximumConcurrent { return false }
        running += 1
        peakConcurrent = max(peakConcurrent, running)
        return true
    }

    func leave() { running -= 1 }

    /// Returns once `release()` has been called (at once if it has been).
    func waitForRelease() async {
        if released { return }
        await withCheckedContinuation { holding.append($0) }
    }

    func release() {
        released = true
        for waiter in holding { waiter.resume() }
        holding = []
    }

    func script(voice: String, actions: [FakeAction]) { scripts[voice] = actions }

    func remember(body: String) {
        recentBodies.append(body)
        if recentBodies.count > 100 { recentBodies.removeFirst(recentBodies.count - 100) }
    }

    /// A fresh request id, remembered.
    func issueRequestId() -> String {
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        issuedRequestIds.append(id)
        issuedRequestIdSet.insert(id)
        if issuedRequestIds.count > 10_000 { issuedRequestIdSet.remove(issuedRequestIds.removeFirst()) }
        return id
    }

    func issued(_ id: String) -> Bool { issuedRequestIdSet.contains(id) }

    func reset() {
        totalCalls = 0
        callsByVoice = [:]
        callsByEndpoint = [:]
        callTimesByVoice = [:]
        released = false
        peakConcurrent = running
        scripts = [:]
        recentBodies = []
    }
}
