import Hummingbird
import VaultCore

/// `GET /healthz`: 200 once the server accepts requests and its index answers a read.
struct HealthRoutes {
    let store: AssetStore

    func register(on router: Router<some RequestContext>, table: RouteTable) {
        router.on("/healthz", method: .get, recordingIn: table) { _, _ -> Response in
            let assets = try store.index.count()
            return JSONResponse.make(body: ByteBuffer(string: #"{"status":"ok","assets":\#(assets)}"#))
        }
    }
}
