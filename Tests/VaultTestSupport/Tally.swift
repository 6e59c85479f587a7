import Synchronization

/// A count shared by concurrent tasks.
public final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    public init() {}
    public func add() { count.add(1, ordering: .relaxed) }
    public var value: Int { count.load(ordering: .relaxed) }
}
