import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import VaultCore
import VaultServer

/// The pure parsers that face client input, one fuzz target each, reached through the same public entry
/// points requests use (so a release build of the package builds this too). Every target runs its parser on
/// the raw bytes and checks what must hold of any answer: nothing crashes, and where a parser promises a
/// shape (ranges in order, a date that round-trips, a canonical text that is its own canonical form) that
/// is checked too.
enum FuzzTarget: String, CaseIterable {
    case range, entityTags, httpDate, ifRange, contentType, multipartHeaders, multipartStream, canonicalText, voiceRequest
    /// Differential: every head the byte-level download reader takes, NIO's HTTP/1 parser takes too, with the
    /// same method, target, version, keep-alive, no body, one `Host`, and the same planner fields.
    case directRequestHead

    func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let facts = DownloadFacts(length: 1_000, entityTag: "\"etag\"", lastModified: 784_111_777)
        switch self {
        case .range:
            let plan = DownloadPlanner().plan(DownloadRequest(range: text), facts)
            if case let .multipart(ranges) = plan {
                for (earlier, later) in zip(ranges, ranges.dropFirst()) { precondition(earlier.upperBound + 1 < later.lowerBound) }
            }
        case .entityTags:
            _ = EntityTagList.matches(text, "\"etag\"", weak: true)
            _ = DownloadPlanner().plan(DownloadRequest(ifMatch: text, ifNoneMatch: text), facts)
        case .httpDate:
            if let seconds = HTTPDate.parse(text), seconds >= 0 { precondition(HTTPDate.parse(HTTPDate.format(seconds)) == seconds) }
        case .ifRange:
            _ = DownloadPlanner().plan(DownloadRequest(range: "bytes=0-9", ifRange: text), facts)
        case .contentType:
            _ = MultipartFormData.boundary(fromContentType: text)
            _ = BucketPolicy.mediaTypeEssence(text)
            _ = BucketPolicy.allows(mimeType: text, in: ["audio/*", "image/png"])
        case .multipartHeaders:
            // The input as one part's header block, through the streaming parser that reads uploads.
            var parser = MultipartStreamParser(boundary: "vvboundary")
            _ = try? parser.feed(Array("--vvboundary\r\n".utf8) + bytes + Array("\r\n\r\nbody\r\n--vvboundary--\r\n".utf8))
        case .multipartStream:
            var parser = MultipartStreamParser(boundary: "vvboundary")
            var input = bytes[...]
            while !input.isEmpty {
                let step = min(input.count, Int(input.first ?? 1) % 97 + 1)
                guard (try? parser.feed(input.prefix(step))) != nil else { return }
                input = input.dropFirst(step)
            }
            _ = try? parser.finish()
        case .canonicalText:
            guard CanonicalText.longestNonStarterRun(text, exceeding: CanonicalText.streamSafeNonStarterLimit) == nil else { return }
            let canonical = CanonicalText.normalize(text)
            precondition(CanonicalText.normalize(canonical) == canonical, "canonical text is not its own canonical form")
        case .voiceRequest:
            _ = VoiceRequestCheck.errorCode(forBody: bytes)
        case .directRequestHead:
            guard let taken = DirectRequestHeadProbe.read(bytes) else { return }
            let head = Array(bytes.prefix(taken.length))
            guard let nio = Self.nioHead(head) else { preconditionFailure("NIO refuses a head the reader takes: \(Self.shown(head))") }
            precondition(!nio.hadBody, "NIO reads a body after \(Self.shown(head))")
            precondition(
                nio.head.method.rawValue == taken.method && nio.head.uri == taken.target && nio.head.version == .http1_1,
                "NIO reads another request line in \(Self.shown(head))")
            precondition(nio.head.isKeepAlive == taken.keepAlive, "keep-alive differs for \(Self.shown(head))")
            precondition(nio.head.headers["host"].count == 1, "Host differs for \(Self.shown(head))")
            for name in ["range", "if-range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "origin"] {
                // A field's value excludes the whitespace around it (RFC 9110 §5.5); llhttp keeps a trailing tab.
                let values = nio.head.headers[name].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
                let joined = values.isEmpty ? nil : values.joined(separator: ", ")
                precondition(joined == taken.fields[name], "\(name) differs for \(Self.shown(head))")
            }
        }
    }

    /// What NIO's HTTP/1 decoder makes of a whole head: the head and whether a body followed, or nil when it refuses.
    static func nioHead(_ bytes: [UInt8]) -> (head: HTTPRequestHead, hadBody: Bool)? {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        defer { _ = try? channel.finish() }
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
            guard case let .head(head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
            var hadBody = false
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                if case .body = part { hadBody = true }
                if case .end = part { return (head, hadBody) }
            }
        } catch {
            return nil
        }
        return nil
    }

    static func shown(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self).debugDescription }
}

#if FUZZING
/// The target, chosen once from `VV_FUZZ_TARGET` (Scripts/fuzz.sh sets it).
let selectedTarget: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["VV_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        fatalError("set VV_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// libFuzzer's entry point for programs that have their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`; here that hands the process to libFuzzer.
@_cdecl("VaultFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}
#else
/// Without libFuzzer: replays inputs, `vault-fuzz <target> <file>...`, to reproduce what a fuzz run found.
@main
struct FuzzReplay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: vault-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> <file>...")
            return
        }
        for path in arguments.dropFirst() {
            target.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("ok \(path)")
        }
    }
}
#endif
