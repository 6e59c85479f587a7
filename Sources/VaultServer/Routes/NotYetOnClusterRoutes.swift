import Hummingbird
import VaultCore

/// What a cluster node does not serve yet: Supabase Storage's resumable uploads (TUS) and its S3 protocol,
/// whose uploads in progress still live in each node's own data directory. Answered with 501 and a code that
/// says so, rather than served from one node's files, where an upload begun through one node would be missing
/// on the next (Docs/CLUSTER.md, status). Storage's REST surface is served (`ClusterObjectSource`).
struct NotYetOnClusterRoutes {
    static let code = "not_yet_on_cluster_nodes"

    func register(on router: Router<VaultRequestContext>, table: RouteTable) {
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        let resumable = ResumableRoutes.path
        let paths = [
            S3Routes.path, S3Routes.path + "/**", resumable, resumable + "/:id", resumable + "/sign", resumable + "/sign/:id",
        ]
        for path in paths {
            for method in methods {
                router.on("\(path)", method: method, recordingIn: table) { _, _ -> Response in
                    throw APIError(
                        .notImplemented, code: Self.code,
                        message:
                            "Supabase Storage's resumable uploads and S3 protocol are not served by cluster nodes yet; its REST surface is")
                }
            }
        }
    }
}
