public import PostgresNIO

extension PostgresClient {
    /// Runs `body` while the pool runs (a pool serves nothing until `run()` is going), and stops the pool when
    /// `body` returns or throws: for the commands and tests that use a catalog for one piece of work.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
