import Foundation
import VaultCore

/// The framing of a `multipart/byteranges` body (RFC 9110 14.6): each part with its own Content-Type and
/// Content-Range, a boundary that cannot occur in the framing, and an exact total length computed up front
/// so the response carries Content-Length.
struct MultipartByteRanges {
    let ranges: [ClosedRange<UInt64>]
    let length: UInt64
    let contentType: String
    let boundary: String

    init(
        ranges: [ClosedRange<UInt64>], length: UInt64, contentType: String,
        boundary: String = "vv" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    ) {
        self.ranges = ranges
        self.length = length
        self.contentType = contentType
        self.boundary = boundary
    }

    func partHeader(_ index: Int) -> String {
        let range = ranges[index]
        return (index == 0 ? "" : "\r\n") + "--\(boundary)\r\nContent-Type: \(contentType)\r\n"
            + "Content-Range: \(ContentRangeValue.bytes(range, of: length))\r\n\r\n"
    }

    var closing: String { "\r\n--\(boundary)--\r\n" }

    var contentLength: UInt64 {
        var total = UInt64(closing.utf8.count)
        for index in ranges.indices {
            total += UInt64(partHeader(index).utf8.count) + ranges[index].upperBound - ranges[index].lowerBound + 1
        }
        return total
    }
}
