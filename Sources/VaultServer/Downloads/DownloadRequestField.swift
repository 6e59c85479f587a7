import HTTPTypes

/// The request fields a download reads (`DownloadResponder.downloadRequest` lists them once for every transport).
/// An enumeration, not `HTTPField.Name`s, so that a transport holding the fields apart (`DirectRequestHead`)
/// picks one with an integer switch: matching names compares strings, and a mismatch between two short names
/// takes the slow comparison (Docs/PERFORMANCE.md, "Reads asked for near the head").
enum DownloadRequestField: CaseIterable, Sendable {
    case range, ifRange, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince

    var name: HTTPField.Name {
        switch self {
        case .range: .range
        case .ifRange: .ifRange
        case .ifMatch: .ifMatch
        case .ifNoneMatch: .ifNoneMatch
        case .ifModifiedSince: .ifModifiedSince
        case .ifUnmodifiedSince: .ifUnmodifiedSince
        }
    }
}
