import ElevenLabs
import VaultCore

/// The one place where failures of the core and the upstream become client-visible errors with stable codes.
enum VoiceErrorMapping {
    static func apiError(for error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as VoiceError:
            switch error {
            case .budgetExhausted:
                return APIError(.tooManyRequests, code: "budget_exhausted", message: error.description)
            case .clientBudgetExhausted:
                return APIError(.tooManyRequests, code: "client_budget_exhausted", message: error.description)
            case .noSynthesizer:
                return APIError(.serviceUnavailable, code: "synthesizer_unavailable",
                                message: "no speech synthesizer is configured: set ELEVENLABS_API_KEY")
            case .unsupportedLanguage:
                return APIError(.unprocessableContent, code: "unsupported_language", message: error.description)
            case .synthesizerFailed:
                return APIError(.internalServerError, code: "synthesizer_failed", message: error.description)
            }
        case let error as UpstreamFailure:
            return upstream(error)
        case let error as StoreError:
            if case let .invalidAudio(reason) = error {
                return APIError(.badGateway, code: "upstream_invalid_audio", message: "the generated audio is not a complete MP3: \(reason)")
            }
            return nil
        case let error where DiskSpace.isExhausted(error):
            return APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: "storage_full", message: "the server's disk is full; nothing was stored")
        default:
            return nil
        }
    }

    static func upstream(_ failure: UpstreamFailure) -> APIError {
        switch failure {
        case let .voiceNotFound(voiceId, _):
            return APIError(.notFound, code: "voice_not_found", message: "ElevenLabs has no voice '\(voiceId)'")
        case .authentication:
            return APIError(.badGateway, code: "upstream_auth",
                            message: "ElevenLabs rejected this server's API key; the operator must fix ELEVENLABS_API_KEY")
        case let .quotaExceeded(message):
            return APIError(.badGateway, code: "upstream_quota", message: "the ElevenLabs account is out of quota: \(message)")
        case let .rejected(_, code, message):
            return APIError(.badRequest, code: "upstream_rejected", message: "ElevenLabs rejected the request (\(code)): \(message)")
        case .timeout:
            return APIError(.gatewayTimeout, code: "upstream_timeout", message: "ElevenLabs did not answer in time; try again")
        case .concurrencyLimited, .busy:
            return APIError(.serviceUnavailable, code: "upstream_busy", message: "ElevenLabs is busy; try again shortly")
        case .serverError, .connection:
            return APIError(.badGateway, code: "upstream_unavailable", message: failure.description)
        case .invalidAudio:
            return APIError(.badGateway, code: "upstream_invalid_audio", message: failure.description)
        }
    }
}
