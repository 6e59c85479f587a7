import Logging
import PostgresNIO
import VaultCore

/// One call to the cluster's catalog as a node makes it: within `deadline` (the pool waits for a connection
/// without limit of its own, so a catalog that is away would otherwise hold every request), with the caller's
/// own errors kept as they are (unwrapped from the transaction that rolled back) and every other failure named
/// `ClusterStoreError.catalogUnavailable`, which every surface answers 503.
enum CatalogCall {
    static let deadline = Duration.seconds(10)

    struct PastDeadline: Error, CustomStringConvertible {
        var description: String { "no answer within \(CatalogCall.deadline)" }
    }

    static func run<T: Sendable>(
        logger: Logger, keeping isOwn: @escaping @Sendable (any Error) -> Bool, _ call: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await call() }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else { throw PastDeadline() }
                return value
            }
        } catch {
            throw classified(error, logger: logger, keeping: isOwn)
        }
    }

    static func classified(_ error: any Error, logger: Logger, keeping isOwn: (any Error) -> Bool) -> any Error {
        switch error {
        case is ClusterStoreError, is CancellationError:
            return error
        case let error as PostgresTransactionError where error.closureError != nil:
            // Our own failure inside a transaction (which rolled back), as itself.
            return classified(error.closureError ?? error, logger: logger, keeping: isOwn)
        case let error where isOwn(error):
            return error
        default:
            logger.warning("catalog call failed", metadata: ["error": "\(String(reflecting: error))"])
            return ClusterStoreError.catalogUnavailable(String(describing: error))
        }
    }
}
