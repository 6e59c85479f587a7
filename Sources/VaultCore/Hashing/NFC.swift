import Foundation

/// Canonical composition (NFC). Foundation's implementation is the one Swift ships on every platform.
/// ASCII text is already NFC, and most requests are ASCII, so that case skips the work entirely.
func nfcNormalized(_ text: String) -> String {
    if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
    return text.precomposedStringWithCanonicalMapping
}
