import Foundation
public import VaultCore

/// The voice API's request validation as a pure function of the body's bytes: what `POST /api/voice` would
/// refuse, by its stable error code, or nil when the body is a valid request. Used by the fuzz targets
/// (`vault-fuzz voiceRequest`), which must reach the same code a request does without a server.
public enum VoiceRequestCheck {
    public static func errorCode(forBody body: [UInt8], maximumTextCharacters: Int = SpeechSpec.defaultMaximumTextCharacters) -> String? {
        do {
            _ = try VoiceRequestBody.validated(body: Data(body), maximumTextCharacters: maximumTextCharacters)
            return nil
        } catch {
            return error.code
        }
    }
}
