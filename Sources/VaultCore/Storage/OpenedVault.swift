public import Logging

/// A data directory opened for exclusive use: locked, laid out, index open, temp files swept. The one owner
/// of a directory's stores: the generated audio (`store`) and the Storage objects (`objects`), which share one
/// LMDB environment (LMDB allows one per file per process).
///
/// `serve`, `fsck` and the crash drill all go through here, so no two can run on one directory at once.
public final class OpenedVault: Sendable {
    public let lock: DataDirectoryLock
    public let store: AssetStore
    /// The Storage API's objects, in the same directory and index environment.
    public let objects: ObjectStore
    /// Resumable (TUS) uploads in progress; `recover` it before serving.
    public let resumable: ResumableUploadStore
    /// S3 multipart uploads in progress; `recover` it before serving.
    public let multipart: MultipartUploadStore
    /// Temp files found (and removed, unless opened for inspection) at start.
    public let temporaryFilesFound: [String]

    public enum OpenError: Error, CustomStringConvertible {
        case lock(DataDirectoryLock.Failure)
        case layout(SystemError)
        case index(any Error)

        public var description: String {
            switch self {
            case let .lock(failure): failure.description
            case let .layout(error): "cannot prepare the data directory: \(error)"
            case let .index(error): "cannot open the index: \(error)"
            }
        }
    }

    /// - Parameter sweepTemporaryFiles: false for fsck, which reports temp files instead of removing them.
    public init(
        root: String, options: LMDBEnvironment.Options = .init(), sweepTemporaryFiles: Bool = true,
        observer: PublicationObserver? = nil, deletionObserver: DeletionObserver? = nil,
        objectObserver: ObjectWriteObserver? = nil, resumableObserver: ResumableStepObserver? = nil,
        multipartObserver: MultipartStepObserver? = nil,
        logger: Logger = Logger(label: "voicevault")
    ) throws(OpenError) {
        let directory = DataDirectory(root: root)
        do { try FileSystem.makeDirectories(directory.root) } catch { throw .layout(error) }
        do { lock = try DataDirectoryLock(path: directory.lockFile) } catch { throw .lock(error) }
        do { try directory.prepare() } catch { throw .layout(error) }
        do {
            let index = try AssetIndex(directory: directory.index, options: options)
            store = AssetStore(directory: directory, index: index, observer: observer, deletionObserver: deletionObserver)
            objects = ObjectStore(
                directory: directory, catalog: try StorageCatalog(environment: index.environment),
                observer: objectObserver)
        } catch {
            throw .index(error)
        }
        resumable = ResumableUploadStore(objects: objects, observer: resumableObserver)
        multipart = MultipartUploadStore(objects: objects, observer: multipartObserver)
        let environment = store.index.environment
        if environment.staleReadersCleared > 0 {
            logger.warning("cleared stale LMDB reader slots", metadata: ["count": "\(environment.staleReadersCleared)"])
        }
        if sweepTemporaryFiles {
            do { temporaryFilesFound = try store.sweepTemporaryFiles() } catch {
                throw .layout(error as? SystemError ?? SystemError(errno: 5, operation: "sweep", path: directory.temporary))
            }
            if temporaryFilesFound.isEmpty {
                logger.info("no temp files to sweep", metadata: ["dir": "\(directory.temporary)"])
            } else {
                logger.warning(
                    "swept temp files left by interrupted publications",
                    metadata: ["count": "\(temporaryFilesFound.count)", "files": "\(temporaryFilesFound.prefix(10))"])
            }
        } else {
            temporaryFilesFound = (try? FileSystem.contents(of: directory.temporary)) ?? []
        }
    }
}
