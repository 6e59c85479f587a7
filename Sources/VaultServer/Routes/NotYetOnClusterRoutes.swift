import Hummingbird
import VaultCore

/// What a cluster node does not serve yet: Supabase Storage's S3 protocol, whose multipart uploads still live
/// in each node's own data directory. Answered with 501 and a code that says so, rather than served from one
/// node's files, where parts sent through one node would be missing on the next (Docs/CLUSTER.md, status).
/// Storage's REST surface and resumable uploads are served from the cluster.
struct NotYetOnClusterRoutes {
    static let code = "not_yet_on_cluster_nodes"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        for path in [S3Routes.path, S3Routes.path + "/**"] {
            for method in methods {
                router.on("\(path)", method: method, recordingIn: table) { _, _ -> Response in
                    throw APIError(
                        .notImplemented, code: Self.code,
                        message:
                            "Supabase Storage's S3 protocol is not served by cluster nodes yet; its REST surface and resumable uploads are")
                }
            }
        }
    }
}
