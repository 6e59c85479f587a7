import Foundation
import VaultCore
import VaultServer

/// The pure parsers that face client input, one fuzz target each, reached through the same public entry
/// points requests use (so a release build of the package builds this too). Every target runs its parser on
/// the raw bytes and checks what must hold of any answer: nothing crashes, and where a parser promises a
/// shape (ranges in order, a date that round-trips, a canonical text that is its own canonical form) that
/// is checked too.
enum FuzzTarget: String, CaseIterable {
    case range, entityTags, httpDate, ifRange, contentType, multipartHeaders, multipartStream, canonicalText, voiceRequest

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
        }
    }
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
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

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
