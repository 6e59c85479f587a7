import Hummingbird
import VaultCore

/// What a cluster node does not serve yet: Supabase Storage (REST, TUS, S3), whose objects and uploads still
/// live in each node's own data directory. Answered with 501 and a code that says so, rather than served from
/// one node's files, where an object uploaded through one node would be missing on the next (Docs/CLUSTER.md,
/// status).
struct NotYetOnClusterRoutes {
    static let code = "not_yet_on_cluster_nodes"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        for method in methods {
            router.on(StorageRoutes.prefix + "/**", method: method, recordingIn: table) { _, _ -> Response in
                throw APIError(
                    .notImplemented, code: Self.code,
                    message: "Supabase Storage is not served by cluster nodes yet; audio is (POST /api/voice, GET /audio)")
            }
        }
    }
}
