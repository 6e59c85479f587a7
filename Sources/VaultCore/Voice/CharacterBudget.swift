public import Foundation

/// A daily cap on characters sent upstream (UTC days), or no cap. Hits cost nothing and are never refused.
///
/// The check is "would this generation take the day over the cap": a request is refused before any upstream
/// call rather than after the money is spent. Spending is recorded in the index, so it survives restarts.
public struct CharacterBudget: Sendable {
    public let dailyLimit: Int?
    let index: AssetIndex

    public init(dailyLimit: Int?, index: AssetIndex) {
        self.dailyLimit = dailyLimit.flatMap { $0 > 0 ? $0 : nil }
        self.index = index
    }

    public static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Throws `VoiceError.budgetExhausted` when `characters` more would exceed today's limit.
    public func check(_ characters: Int, now: Date = Date()) throws {
        guard let dailyLimit else { return }
        let spent = try index.charactersSpent(on: Self.day(of: now))
        if spent + characters > dailyLimit {
            throw VoiceError.budgetExhausted(spent: spent, limit: dailyLimit)
        }
    }

    public func record(_ characters: Int, now: Date = Date()) throws {
        try index.addCharactersSpent(characters, on: Self.day(of: now))
    }
}
