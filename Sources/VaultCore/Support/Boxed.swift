/// A value kept behind one reference (an indirect enum's box): a struct that holds it, copied often, copies a
/// pointer instead of the value's fields. Immutable; a change makes a new box.
struct Boxed<Value: Sendable & Hashable>: Sendable, Hashable {
    private indirect enum Storage: Sendable, Hashable {
        case value(Value)
    }

    private let storage: Storage

    init(_ value: Value) { storage = .value(value) }

    var value: Value {
        switch storage {
        case let .value(value): value
        }
    }
}
