import Foundation

/// Which column of the legacy table holds each `LegacyField`: the default names, overridden by the operator's
/// `field=column` mappings and checked against the table's real columns before a single row is read, so a
/// typo is one clear error up front instead of every row rejected.
public struct LegacyColumnMap: Sendable, Equatable {
    /// The column for each field the table has; optional fields it lacks are absent (their defaults apply).
    public let columns: [LegacyField: String]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformedMapping(String)
        case unknownField(String)
        case duplicateField(LegacyField)
        case missingColumn(field: LegacyField, column: String)
        case missingRequiredColumn(field: LegacyField, column: String)

        public var description: String {
            switch self {
            case let .malformedMapping(text): "column mapping '\(text)' must be field=column"
            case let .unknownField(name):
                "'\(name)' is not a legacy field; fields: \(LegacyField.allCases.map(\.rawValue).joined(separator: ", "))"
            case let .duplicateField(field): "field \(field.rawValue) is mapped twice"
            case let .missingColumn(field, column): "the table has no column '\(column)' (mapped to \(field.rawValue))"
            case let .missingRequiredColumn(field, column):
                "the table has no column '\(column)' for the required field \(field.rawValue); map it with --column \(field.rawValue)=NAME"
            }
        }
    }

    /// - Parameters:
    ///   - mappings: `field=column` texts as the operator typed them.
    ///   - tableColumns: the table's column names (SQLite compares them case-insensitively, and so does this).
    public init(mappings: [String], tableColumns: [String]) throws(Failure) {
        var chosen: [LegacyField: String] = [:]
        var explicit: Set<LegacyField> = []
        for mapping in mappings {
            guard let equals = mapping.firstIndex(of: "=") else { throw .malformedMapping(mapping) }
            let name = String(mapping[..<equals])
            let column = String(mapping[mapping.index(after: equals)...])
            guard !name.isEmpty, !column.isEmpty else { throw .malformedMapping(mapping) }
            guard let field = LegacyField(rawValue: name) else { throw .unknownField(name) }
            guard explicit.insert(field).inserted else { throw .duplicateField(field) }
            chosen[field] = column
        }
        let available = Dictionary(tableColumns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        var columns: [LegacyField: String] = [:]
        for field in LegacyField.allCases {
            let wanted = chosen[field] ?? field.rawValue
            if let actual = available[wanted.lowercased()] {
                columns[field] = actual
            } else if field.isRequired {
                throw .missingRequiredColumn(field: field, column: wanted)
            } else if explicit.contains(field) {
                throw .missingColumn(field: field, column: wanted)
            }
        }
        self.columns = columns
    }

    /// The fields in the order `pageStatement` returns them.
    public var fields: [LegacyField] { LegacyField.allCases.filter { columns[$0] != nil } }

    /// One page of the mapped columns: rows after rowid `?1`, at most `?2` of them, identifiers quoted (a column
    /// may be named anything, even `from`), in `rowid` order so that a second run meets them in the same order.
    public func pageStatement(table: String) -> String {
        let list = fields.compactMap { columns[$0] }.map(Self.quoted).joined(separator: ", ")
        return "SELECT rowid, \(list) FROM \(Self.quoted(table)) WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
    }

    /// An SQL identifier in double quotes, embedded quotes doubled.
    public static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
