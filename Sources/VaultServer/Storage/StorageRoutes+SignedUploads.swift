import Foundation
import Hummingbird
import VaultCore

/// Signed upload URLs: a keyed caller asks for a token for one key (`POST object/upload/sign/...`, optional
/// `x-upsert`), hands the URL to someone without a key, who uploads exactly that key once with
/// `PUT object/upload/sign/...?token=` under the same bucket rules as any upload.
///
/// The token is scoped to uploads (`SignedURLToken.Grant`): it downloads nothing, and a download token uploads
/// nothing. Whether it may replace an existing object was decided when it was issued and is signed into it.
extension StorageRoutes {
    /// Upstream's lifetime for upload tokens.
    static let signedUploadLifetimeSeconds: Int64 = 2 * 3600

    func signUpload(bucket: String, key: String, _ request: Request) async throws -> Response {
        try source(bucket).permit(.upload)
        guard try await buckets.bucket(bucket) != nil else { throw SupabaseError.bucketNotFound }
        let upsert = Self.upsertRequested(request)
        let now = Int64(Date().timeIntervalSince1970)
        let token = signer.issue(
            bucket: bucket, key: key, expiresAt: now + Self.signedUploadLifetimeSeconds, issuedAt: now,
            grant: .init(scope: .upload, upsert: upsert))
        let url = "/object/upload/sign/\(Self.bareSegment(bucket))/\(Self.bareSegment(key))?token=\(token)"
        return StorageJSON.response(["url": url, "token": token])
    }

    func signedUpload(bucket: String, key: String, _ request: Request) async throws -> Response {
        let grant = try verifiedGrant(request, bucket: bucket, key: key, scope: .upload)
        try source(bucket).permit(.upload)
        return try await upload(request, bucket: bucket, key: key, upsert: grant.upsert)
    }

    /// The grant of the request's `token` query parameter for `scope` on `bucket/key`, or the refusal
    /// storage-js reads (`InvalidJWT`, `ExpiredToken`).
    func verifiedGrant(_ request: Request, bucket: String, key: String, scope: SignedURLToken.Scope) throws -> SignedURLToken.Grant {
        guard let token = request.uri.queryParameters.get("token") else {
            throw SupabaseError(.badRequest, "InvalidJWT", "a signed URL needs its token query parameter")
        }
        return try verifiedGrant(token: token, bucket: bucket, key: key, scope: scope)
    }

    func verifiedGrant(token: String, bucket: String, key: String, scope: SignedURLToken.Scope) throws -> SignedURLToken.Grant {
        switch signer.verify(token, bucket: bucket, key: key, scope: scope, now: Int64(Date().timeIntervalSince1970)) {
        case let .valid(grant): return grant
        case .expired: throw SupabaseError(.badRequest, "ExpiredToken", "jwt expired")
        case let .invalid(reason): throw SupabaseError(.badRequest, "InvalidJWT", reason)
        }
    }

    /// `x-upsert: true` (any case, surrounding spaces ignored).
    static func upsertRequested(_ request: Request) -> Bool {
        request.headers[.xUpsert].map { FieldBytes.equalsIgnoringCase(FieldBytes.trimmed($0.utf8), "true") } ?? false
    }

    /// A bucket or key as signed URLs carry it: unescaped as upstream sends it (storage-js applies `encodeURI`
    /// to the whole URL), but for `?`, which would end the path for every client.
    static func bareSegment(_ name: String) -> String {
        name.replacingOccurrences(of: "?", with: "%3F")
    }
}
