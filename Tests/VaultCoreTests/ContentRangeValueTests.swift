import Testing
@testable import VaultCore

@Suite struct ContentRangeValueTests {
    /// Interpolation is the oracle, at every digit count's edges and on random values.
    @Test func matchesInterpolationAtEveryWidth() {
        var edges: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1]
        var power: UInt64 = 10
        while true {
            edges += [power - 1, power, power + 1]
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { break }
            power = next
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2_000).map { _ in
            UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator)
        }
        for first in edges + random.prefix(200) {
            for last in [first, first | 1, UInt64.max] where last >= first {
                for length in [last &+ 1, UInt64.max, last] {
                    #expect(ContentRangeValue.bytes(first...last, of: length) == "bytes \(first)-\(last)/\(length)")
                }
            }
        }
        for value in random {
            #expect(ContentRangeValue.bytes(0...value, of: value) == "bytes 0-\(value)/\(value)")
        }
    }
}
