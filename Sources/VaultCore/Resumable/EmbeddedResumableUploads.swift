/// TUS uploads in the data directory (`ResumableUploadStore`), their blocking work off the cooperative pool.
public struct EmbeddedResumableUploads: ResumableUploads {
    public let store: ResumableUploadStore

    public init(store: ResumableUploadStore) {
        self.store = store
    }

    public func create(_ upload: ResumableUpload, maximumInProgress: Int) async throws {
        let store = store
        try await BlockingIO.run { try store.create(upload, maximumInProgress: maximumInProgress) }
    }

    public func upload(_ id: String) async throws -> ResumableUpload? {
        let store = store
        return try await BlockingIO.run { try store.upload(id) }
    }

    public func claim(_ id: String) -> Bool { store.claim(id) }
    public func release(_ id: String) { store.release(id) }

    public func setLength(_ length: Int, of upload: ResumableUpload) async throws -> ResumableUpload {
        let store = store
        return try await BlockingIO.run { try store.setLength(length, of: upload) }
    }

    public func sink(for upload: ResumableUpload) async throws -> any ResumableSink {
        let store = store
        return PartFileSink(writer: try await BlockingIO.run { try store.writer(for: upload) })
    }

    public func complete(_ upload: ResumableUpload, globalLimit: Int) async throws -> ObjectRecord {
        let store = store
        return try await BlockingIO.run { try store.complete(upload, globalLimit: globalLimit) }
    }

    public func remove(_ id: String) async throws {
        let store = store
        try await BlockingIO.run { try store.remove(id) }
    }

    @discardableResult
    public func sweep(now: Double) async throws -> Int {
        let store = store
        return try await BlockingIO.run { try store.sweep(now: now) }
    }

    /// The part file's writer (`ResumablePartWriter`), checkpointing as it goes.
    struct PartFileSink: ResumableSink {
        let writer: ResumablePartWriter

        func append(_ bytes: [UInt8]) async throws {
            let writer = writer
            try await BlockingIO.run { try writer.append(bytes) }
        }

        func close() async throws -> ResumableUpload {
            let writer = writer
            return try await BlockingIO.run { try writer.close() }
        }

        func closeDiscardingUncounted() async throws -> ResumableUpload {
            let writer = writer
            return try await BlockingIO.run { try writer.closeDiscardingUncounted() }
        }
    }
}
