import Foundation
public import PostgresNIO

/// How a node's connections to the catalog are secured, from `VOICEVAULT_CATALOG_URL`'s `sslmode` (libpq's
/// names, so a URL copied from a managed PostgreSQL's console works) and `sslrootcert`:
///
/// | `sslmode` | what the connection does |
/// |---|---|
/// | `disable` (default) | plain TCP, for a database on a private network |
/// | `prefer` | TLS when the server offers it, else plain; the certificate is not checked |
/// | `require` | TLS or no connection; the certificate is not checked (libpq's meaning) |
/// | `verify-ca` | TLS, the certificate chain checked against `sslrootcert` (or the system's roots) |
/// | `verify-full` | as `verify-ca`, and the certificate must name the host |
///
/// The TLS context is made once, when the URL is read, so that a missing or unreadable `sslrootcert` is refused
/// at start, and the many connections of a node (its pool, each flight) share it.
public struct CatalogTLS: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public let mode: Mode
    public let rootCertificate: String?
    let configuration: TLSConfiguration?
    let context: NIOSSLContext?

    public static let disabled = CatalogTLS()

    private init() {
        mode = .disable
        rootCertificate = nil
        configuration = nil
        context = nil
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(mode: Mode, rootCertificate: String?) throws(Invalid) {
        self.mode = mode
        self.rootCertificate = rootCertificate
        guard mode != .disable else {
            configuration = nil
            context = nil
            return
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw Invalid(description: "VOICEVAULT_CATALOG_URL's sslrootcert \(rootCertificate) cannot be read")
            }
            tls.trustRoots = .file(rootCertificate)
        }
        configuration = tls
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw Invalid(description: "VOICEVAULT_CATALOG_URL's TLS settings cannot be used: \(error)")
        }
    }

    public static func == (a: CatalogTLS, b: CatalogTLS) -> Bool { a.mode == b.mode && a.rootCertificate == b.rootCertificate }

    var forPool: PostgresClient.Configuration.TLS {
        guard let configuration else { return .disable }
        return mode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    var forConnection: PostgresConnection.Configuration.TLS {
        guard let context else { return .disable }
        return mode == .prefer ? .prefer(context) : .require(context)
    }
}
