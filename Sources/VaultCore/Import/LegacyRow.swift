/// One row of the legacy table as read: its rowid and the value of each mapped field (SQLite's dynamic types,
/// so a rate stored as text or a date stored as a number still reads).
public struct LegacyRow: Sendable, Equatable {
    public let rowId: Int
    public let values: [LegacyField: SQLiteDatabase.Value]

    public init(rowId: Int, values: [LegacyField: SQLiteDatabase.Value]) {
        self.rowId = rowId
        self.values = values
    }

    /// A field's value as text: text as is, numbers printed, NULL (and blobs, which read as NULL) as nil.
    func text(_ field: LegacyField) -> String? {
        switch values[field] {
        case let .text(value): value
        case let .integer(value): String(value)
        case let .real(value): String(value)
        case .null, nil: nil
        }
    }

    enum Number: Equatable {
        case absent
        case value(Double)
        case unreadable(String)
    }

    /// A field's value as a number: numbers as they are, text parsed; absent when missing, NULL or blank.
    func number(_ field: LegacyField) -> Number {
        switch values[field] {
        case let .integer(value): return .value(Double(value))
        case let .real(value): return .value(value)
        case let .text(raw):
            let value = raw.trimmingWhitespace()
            if value.isEmpty { return .absent }
            return Double(value).map(Number.value) ?? .unreadable(raw)
        case .null, nil: return .absent
        }
    }
}
