/// The voice API's rendering of failures: `ClassifiedError` in VoiceVault's error shape.
enum VoiceErrorMapping {
    static func apiError(for error: any Error) -> APIError? {
        if let error = error as? APIError { return error }
        return ClassifiedError.classify(error).map { APIError($0.status, code: $0.code, message: $0.message) }
    }
}
