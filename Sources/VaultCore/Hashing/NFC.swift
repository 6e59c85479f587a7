import Foundation

/// Canonical composition (NFC). Foundation's implementation is the one Swift ships on every platform.
func nfcNormalized(_ text: String) -> String {
    text.precomposedStringWithCanonicalMapping
}
