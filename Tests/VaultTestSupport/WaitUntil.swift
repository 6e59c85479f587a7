/// A condition a test waited for that did not come: the error names it.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting until \(what)" }
}

/// Waits until `condition` holds, looking again every `interval`, and throws `WaitTimedOut` naming `what`
/// when it does not within `timeout`. For conditions a test cannot be told about directly (another process,
/// a background service): a gate on the condition itself, never a guessed sleep. The timeout only bounds a
/// failure, so it is generous: in a full parallel run the long synchronous suites (the crash test) can hold
/// the cooperative pool's few threads for tens of seconds, and a correct test must not fail for that.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(120), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what) }
        try await Task.sleep(for: interval)
    }
}
