/// Natural order of identifiers, as people number chapters: runs of ASCII digits compare by their value
/// ("chapter-2" before "chapter-10"), everything else byte for byte. Two names that differ only in leading
/// zeros ("ch-01", "ch-1") fall back to bytewise order, so the order is total and stable.
///
/// Linear in the names' lengths; digit runs of any length compare without overflow (by length once leading
/// zeros are skipped, then digit by digit).
public enum NaturalOrder {
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var (i, j) = (0, 0)
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                let (runX, nextI) = digitRun(x, from: i)
                let (runY, nextJ) = digitRun(y, from: j)
                if runX.count != runY.count { return runX.count < runY.count }
                if runX != runY { return runX.lexicographicallyPrecedes(runY) }
                (i, j) = (nextI, nextJ)
            } else {
                if x[i] != y[j] { return x[i] < y[j] }
                (i, j) = (i + 1, j + 1)
            }
        }
        // One ran out: the shorter goes first; both did, so they differ at most in leading zeros: bytewise.
        if i < x.count || j < y.count { return i == x.count }
        return x.lexicographicallyPrecedes(y)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The digits from `start` without leading zeros, and the index after the run.
    static func digitRun(_ bytes: [UInt8], from start: Int) -> (ArraySlice<UInt8>, Int) {
        var end = start
        while end < bytes.count, isDigit(bytes[end]) { end += 1 }
        var first = start
        while first < end - 1, bytes[first] == UInt8(ascii: "0") { first += 1 }
        return (bytes[first..<end], end)
    }
}
