import Hummingbird
import NIOCore
import VaultCore

/// `GET /v1/models` and `GET /v1/voices`, so SDK code that lists them before speaking keeps working.
struct CatalogRoutes {
    let catalog: any VoiceCatalog

    func register(on group: RouterGroup<VaultRequestContext>, table: RouteTable) {
        group.on("/v1/models", method: .get, recordingIn: table) { _, _ in
            Self.json(try await catalog.models())
        }
        group.on("/v1/voices", method: .get, recordingIn: table) { _, _ in
            Self.json(try await catalog.voices())
        }
    }

    static func json(_ body: [UInt8]) -> Response {
        JSONResponse.make(body: ByteBuffer(bytes: body))
    }
}
