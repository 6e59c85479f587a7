import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// SigV4 against the examples in AWS's own S3 documentation ("Signature Calculations for the Authorization
/// Header" and "Authenticating Requests: Using Query Parameters"), then every refusal.
@Suite struct SigV4Tests {
    static let credentials = SigV4Verifier.Credentials(
        accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let exampleTime: Int64 = 1_369_353_600  // 20130524T000000Z

    static func request(method: String = "GET", path: String = "/test.txt", query: String = "", headers: [String: String])
        -> SigV4Verifier.Request
    {
        SigV4Verifier.Request(method: method, rawPath: path, rawQuery: query, headerNames: headers.keys.map { $0.lowercased() }) {
            name in headers.first { $0.key.lowercased() == name }?.value
        }
    }

    static let getHeaders = [
        "host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
        "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x-amz-date": "20130524T000000Z",
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    ]

    @Test func theDocumentedGetObjectSignatureVerifies() throws {
        let verifier = SigV4Verifier(credentials: Self.credentials)
        let verified = try verifier.verify(Self.request(headers: Self.getHeaders), now: Self.exampleTime + 60)
        #expect(verified.payload == .sha256(SigV4.emptyPayloadHash))
        #expect(verified.scope == "20130524/us-east-1/s3/aws4_request")
    }

    @Test func theDocumentedPresignedURLVerifiesWhileValid() throws {
        let query =
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        let verifier = SigV4Verifier(credentials: Self.credentials)
        let request = Self.request(query: query, headers: ["host": "examplebucket.s3.amazonaws.com"])
        #expect(try verifier.verify(request, now: Self.exampleTime + 100).payload == .unsigned)
        #expect(Self.code { try verifier.verify(request, now: Self.exampleTime + 86_401) } == "AccessDenied")
        let tampered = Self.request(path: "/other.txt", query: query, headers: ["host": "examplebucket.s3.amazonaws.com"])
        #expect(Self.code { try verifier.verify(tampered, now: Self.exampleTime + 100) } == "SignatureDoesNotMatch")
    }

    static func code(_ body: () throws -> Any) -> String? {
        do { _ = try body() } catch let error as S3Error { return error.code } catch { return "\(error)" }
        return nil
    }

    @Test func everyPartIsCovered() {
        let verifier = SigV4Verifier(credentials: Self.credentials)
        func variant(
            _ change: (inout [String: String]) -> Void, method: String = "GET", path: String = "/test.txt", query: String = "",
            now: Int64 = Self.exampleTime
        ) -> String? {
            var headers = Self.getHeaders
            change(&headers)
            return Self.code { try verifier.verify(Self.request(method: method, path: path, query: query, headers: headers), now: now) }
        }
        #expect(variant { _ in } == nil)
        #expect(variant({ _ in }, method: "DELETE") == "SignatureDoesNotMatch")
        #expect(variant({ _ in }, path: "/test.txt2") == "SignatureDoesNotMatch")
        #expect(variant({ _ in }, query: "acl") == "SignatureDoesNotMatch")
        #expect(variant { $0["range"] = "bytes=0-99" } == "SignatureDoesNotMatch")
        #expect(variant { $0["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD" } == "SignatureDoesNotMatch")
        #expect(
            variant { $0["authorization"] = $0["authorization"]?.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAOTHER") }
                == "InvalidAccessKeyId")
        #expect(
            variant { $0["authorization"] = $0["authorization"]?.replacingOccurrences(of: "/s3/", with: "/ec2/") }
                == "AuthorizationHeaderMalformed")
        #expect(variant { $0["authorization"] = "AWS AKIAIOSFODNN7EXAMPLE:signature" } == "AuthorizationHeaderMalformed")
        #expect(variant { $0["authorization"] = nil } == "AccessDenied")
        #expect(variant { $0["x-amz-date"] = nil } == "AccessDenied")
        #expect(variant { $0["x-amz-date"] = "20130525T000000Z" } == "AuthorizationHeaderMalformed")
        #expect(variant({ _ in }, now: Self.exampleTime + 16 * 60) == "RequestTimeTooSkewed")
        #expect(variant({ _ in }, now: Self.exampleTime - 16 * 60) == "RequestTimeTooSkewed")
        #expect(variant { $0["authorization"] = $0["authorization"]?.replacingOccurrences(of: "host;", with: "") } == "AccessDenied")
        #expect(variant { $0["x-amz-content-sha256"] = "not-a-hash" } == "InvalidArgument")
        #expect(variant { $0["authorization"] = String(repeating: "A", count: 5000) } == "AuthorizationHeaderMalformed")
    }

    /// A signature covers only the headers it names. An `x-amz-*` header outside `SignedHeaders` would let
    /// whoever holds a presigned upload URL turn it into a CopyObject (`x-amz-copy-source`) or attach metadata,
    /// so it is refused as AWS refuses it, for header and presigned signatures alike.
    @Test func amazonHeadersOutsideTheSignatureAreRefused() {
        let verifier = SigV4Verifier(credentials: Self.credentials)
        var headers = Self.getHeaders
        headers["x-amz-meta-owner"] = "mallory"
        let headerSigned = SigV4Tests.code { try verifier.verify(Self.request(headers: headers), now: Self.exampleTime) }
        #expect(headerSigned == "AccessDenied")
        // Headers the signature names, and the two the string to sign carries by value, still pass.
        #expect(SigV4Tests.code { try verifier.verify(Self.request(headers: Self.getHeaders), now: Self.exampleTime) } == nil)
        // Headers that are not S3's own are not the signature's business (proxies add them).
        headers = Self.getHeaders
        headers["user-agent"] = "any"
        #expect(SigV4Tests.code { try verifier.verify(Self.request(headers: headers), now: Self.exampleTime) } == nil)

        let query =
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        for added in ["x-amz-copy-source", "x-amz-meta-owner", "x-amz-content-sha256", "X-Amz-Date"] {
            let request = Self.request(query: query, headers: ["host": "examplebucket.s3.amazonaws.com", added: "private/secret.txt"])
            let error = Self.error { try verifier.verify(request, now: Self.exampleTime + 100) }
            #expect(error?.code == "AccessDenied", "\(added)")
            #expect(error?.message.contains(added.lowercased()) == true)
        }
    }

    /// Without `x-amz-content-sha256` a client signed one of the two plain payload forms. A signature over the
    /// empty body's hash binds the body to be empty: a captured body-less request replayed with a body fails.
    @Test func aSignatureOverTheEmptyBodyHoldsTheBodyToIt() throws {
        let verifier = SigV4Verifier(credentials: Self.credentials)
        func signed(payloadHash: String) -> [String: String] {
            let headers = [(name: "host", value: "examplebucket.s3.amazonaws.com"), (name: "x-amz-date", value: "20130524T000000Z")]
            let canonical = SigV4.canonicalRequest(
                method: "PUT", canonicalURI: "/test.txt", canonicalQuery: "", headers: headers,
                signedHeaders: ["host", "x-amz-date"], payloadHash: payloadHash)
            let scope = "20130524/us-east-1/s3/aws4_request"
            let key = SigV4.signingKey(secret: Self.credentials.secretAccessKey, date: "20130524", region: "us-east-1", service: "s3")
            let signature = SigV4.signature(
                SigV4.stringToSign(amzDate: "20130524T000000Z", scope: scope, canonicalRequest: canonical), key: key)
            return [
                "host": "examplebucket.s3.amazonaws.com", "x-amz-date": "20130524T000000Z",
                "authorization":
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/\(scope),SignedHeaders=host;x-amz-date,Signature=\(signature)",
            ]
        }
        let empty = try verifier.verify(
            Self.request(method: "PUT", headers: signed(payloadHash: SigV4.emptyPayloadHash)), now: Self.exampleTime)
        #expect(empty.payload == .sha256(SigV4.emptyPayloadHash))
        let unsigned = try verifier.verify(
            Self.request(method: "PUT", headers: signed(payloadHash: SigV4.unsignedPayload)), now: Self.exampleTime)
        #expect(unsigned.payload == .unsigned)
    }

    static func error(_ body: () throws -> Any) -> S3Error? {
        do { _ = try body() } catch let error as S3Error { return error } catch { return nil }
        return nil
    }

    @Test func encodingFollowsTheSpecification() {
        #expect(SigV4.uriEncode("a b+c/d~e_f.g-h*", keepSlash: true) == "a%20b%2Bc/d~e_f.g-h%2A")
        #expect(SigV4.uriEncode("a/b", keepSlash: false) == "a%2Fb")
        #expect(SigV4.uriEncode("é", keepSlash: false) == "%C3%A9")
        #expect(SigV4.canonicalQuery([("b", "2"), ("a", "z"), ("a", "y"), ("list-type", "")]) == "a=y&a=z&b=2&list-type=")
        #expect(SigV4.canonicalHeaderValue("  a   b\tc  ") == "a b c")
        #expect(SigV4.parseAmzDate("20130524T000000Z") == 1_369_353_600)
        #expect(SigV4.parseAmzDate("20130524T000000") == nil)
        #expect(SigV4.parseAmzDate("2013052XT000000Z") == nil)
        #expect(SigV4Verifier.reencodedPath("/b/a%20b+c") == "/b/a%20b%2Bc")
    }
}

@Suite struct AwsChunkedDecoderTests {
    static func decode(_ body: [UInt8], signing: AwsChunkedDecoder.Signing? = nil, trailer: Bool, pieceSize: Int = 1) throws -> (
        [UInt8], [String: String]
    ) {
        let decoder = AwsChunkedDecoder(signing: signing, expectsTrailer: trailer)
        var out: [UInt8] = []
        var index = 0
        while index < body.count {
            let end = min(index + pieceSize, body.count)
            try decoder.feed(body[index..<end]) { out += $0 }
            index = end
        }
        try decoder.finish()
        return (out, decoder.trailers)
    }

    @Test(arguments: [1, 3, 7, 1000])
    func unsignedWithATrailerInAnyPieces(pieceSize: Int) throws {
        let body = Array("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n".utf8)
        let (data, trailers) = try Self.decode(body, trailer: true, pieceSize: pieceSize)
        #expect(data == Array("hello world".utf8))
        #expect(trailers["x-amz-checksum-crc32"] == "DUoRhQ==")
        var crc = CRC32(.ieee)
        crc.update(data)
        #expect(crc.base64 == "DUoRhQ==")
    }

    @Test func signedChunksChainFromTheSeed() throws {
        let key = SigV4.signingKey(secret: "secret", date: "20260101", region: "r", service: "s3")
        let signing = AwsChunkedDecoder.Signing(key: key, scope: "20260101/r/s3/aws4_request", amzDate: "20260101T000000Z", seed: "seed")
        func signature(_ chunk: [UInt8], previous: String) -> String {
            SigV4.signature(
                [
                    "AWS4-HMAC-SHA256-PAYLOAD", "20260101T000000Z", "20260101/r/s3/aws4_request", previous, SigV4.emptyPayloadHash,
                    SHA256Digest.of(chunk).hex,
                ].joined(separator: "\n"), key: key)
        }
        let chunks: [[UInt8]] = [Array(repeating: 97, count: 100), Array(repeating: 98, count: 10), []]
        var previous = "seed"
        var body: [UInt8] = []
        var signatures: [String] = []
        for chunk in chunks {
            previous = signature(chunk, previous: previous)
            signatures.append(previous)
            body += Array("\(String(chunk.count, radix: 16));chunk-signature=\(previous)\r\n".utf8) + chunk + Array("\r\n".utf8)
        }
        #expect(try Self.decode(body, signing: signing, trailer: false, pieceSize: 13).0 == chunks.flatMap { $0 })
        // A chunk whose bytes changed, chunks swapped, or a signature missing: refused.
        var changed = body
        changed[body.count / 3] ^= 1
        #expect(throws: S3Error.self) { try Self.decode(changed, signing: signing, trailer: false) }
        let unsigned = Array("64\r\n".utf8) + chunks[0] + Array("\r\n0\r\n\r\n".utf8)
        #expect(throws: S3Error.self) { try Self.decode(unsigned, signing: signing, trailer: false) }
    }

    @Test(arguments: [
        "5\r\nhello\r\n",  // no last chunk
        "5\r\nhello\n0\r\n\r\n",  // bare LF
        "zz\r\nhello\r\n0\r\n\r\n",  // not hex
        "123456789\r\n",  // size too long
        "5\r\nhelloX\r\n0\r\n\r\n",  // data longer than declared
        "0\r\n\r\nextra",  // bytes after the end
        "0\r\nno colon here\r\n\r\n",
    ])
    func refusesMalformedBodies(body: String) {
        #expect(throws: S3Error.self) { try Self.decode(Array(body.utf8), trailer: true) }
    }

    @Test func aLineIsBounded() {
        let long = Array(("5;" + String(repeating: "x", count: 5000) + "\r\n").utf8)
        #expect(throws: S3Error.self) { try Self.decode(long, trailer: false) }
    }
}

@Suite struct CRC32Tests {
    @Test func knownValues() {
        var ieee = CRC32(.ieee)
        ieee.update(Array("123456789".utf8))
        #expect(ieee.checksum == 0xCBF4_3926)
        var castagnoli = CRC32(.castagnoli)
        castagnoli.update(Array("123456789".utf8))
        #expect(castagnoli.checksum == 0xE306_9283)
        var pieces = CRC32(.ieee)
        pieces.update(Array("1234".utf8))
        pieces.update(Array("56789".utf8))
        #expect(pieces.checksum == 0xCBF4_3926)
        #expect(CRC32(.ieee).base64 == "AAAAAA==")
    }

    /// The eight-bytes-a-step path against the definition, a bit at a time, at every length and alignment
    /// around the step.
    @Test func eightAtATimeMatchesTheDefinition() {
        func reference(_ bytes: [UInt8], _ reversed: UInt32) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reversed : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var generator = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 299] {
            for start in [0, 1, 3] where start + length <= data.count {
                let slice = Array(data[start..<(start + length)])
                var ieee = CRC32(.ieee)
                ieee.update(data[start..<(start + length)])
                #expect(ieee.checksum == reference(slice, 0xEDB8_8320), "ieee \(length) at \(start)")
                var castagnoli = CRC32(.castagnoli)
                castagnoli.update(slice.lazy.map { $0 })  // not contiguous: the copying path
                #expect(castagnoli.checksum == reference(slice, 0x82F6_3B78), "castagnoli \(length) at \(start)")
            }
        }
    }
}

@Suite struct S3XMLTests {
    @Test func readsTheBodiesS3ClientsSend() throws {
        let complete = #"""
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part>
            <!-- a comment --><Part><PartNumber>2</PartNumber><ETag>"def"</ETag></Part></CompleteMultipartUpload>
            """#
        let root = try S3XMLReader.parse(Array(complete.utf8))
        #expect(root.name == "CompleteMultipartUpload")
        #expect(root.all("Part").map { $0.child("ETag")?.text } == ["\"abc\"", "\"def\""])
        let delete = try S3XMLReader.parse(
            Array("<Delete><Object><Key> a &amp; b&#x2F;c&#233; </Key></Object><Quiet>true</Quiet><Empty/></Delete>".utf8))
        #expect(delete.child("Object")?.child("Key")?.text == " a & b/cé ")
        #expect(delete.child("Quiet")?.text == "true")
        #expect(delete.child("Empty") != nil)
    }

    @Test(arguments: [
        "<!DOCTYPE d [<!ENTITY e \"x\">]><Delete>&e;</Delete>", "<Delete>&e;</Delete>", "<Delete><Object></Delete>", "<A></A><B></B>",
        "text<A/>", "<A>", "<A></B>", "<>", "<A>&#xFFFFFFFF;</A>", "<A><![CDATA[x]]></A>",
        String(repeating: "<A>", count: 20) + String(repeating: "</A>", count: 20),
    ])
    func refusesWhatIsNotAPlainDocument(xml: String) {
        #expect(throws: S3Error.self) { try S3XMLReader.parse(Array(xml.utf8)) }
    }

    @Test func writesEscapedText() {
        var writer = S3XMLWriter()
        writer.element("Key", "a<b>&\"c'")
        #expect(writer.text.hasSuffix("<Key>a&lt;b&gt;&amp;&quot;c&#39;</Key>"))
    }
}

@Suite struct S3OperationTests {
    static func parse(_ method: String, _ path: String, _ query: String = "", copy: Bool = false) throws -> S3Operation {
        try S3Operation.parse(method: method, path: path[...], query: SigV4.queryParameters(query) ?? [], copySource: copy)
    }

    @Test func routesEveryCall() throws {
        #expect(try Self.parse("GET", "") == .listBuckets)
        #expect(try Self.parse("GET", "/") == .listBuckets)
        #expect(try Self.parse("PUT", "/b") == .createBucket("b"))
        #expect(try Self.parse("HEAD", "/b/") == .headBucket("b"))
        #expect(try Self.parse("DELETE", "/b") == .deleteBucket("b"))
        #expect(try Self.parse("GET", "/b", "location") == .getBucketLocation("b"))
        #expect(try Self.parse("GET", "/b", "list-type=2&prefix=a") == .listObjects("b", version2: true))
        #expect(try Self.parse("GET", "/b", "prefix=a") == .listObjects("b", version2: false))
        #expect(try Self.parse("GET", "/b", "uploads") == .listMultipartUploads("b"))
        #expect(try Self.parse("POST", "/b", "delete") == .deleteObjects("b"))
        #expect(try Self.parse("GET", "/b/a%20b/c%2Bd.mp3") == .getObject(bucket: "b", key: "a b/c+d.mp3", head: false))
        #expect(try Self.parse("HEAD", "/b/k") == .getObject(bucket: "b", key: "k", head: true))
        #expect(try Self.parse("PUT", "/b/k") == .putObject(bucket: "b", key: "k"))
        #expect(try Self.parse("PUT", "/b/k", copy: true) == .copyObject(bucket: "b", key: "k"))
        #expect(try Self.parse("DELETE", "/b/k") == .deleteObject(bucket: "b", key: "k"))
        #expect(try Self.parse("POST", "/b/k", "uploads") == .createMultipartUpload(bucket: "b", key: "k"))
        #expect(
            try Self.parse("PUT", "/b/k", "partNumber=3&uploadId=u") == .uploadPart(bucket: "b", key: "k", uploadId: "u", partNumber: 3))
        #expect(try Self.parse("POST", "/b/k", "uploadId=u") == .completeMultipartUpload(bucket: "b", key: "k", uploadId: "u"))
        #expect(try Self.parse("DELETE", "/b/k", "uploadId=u") == .abortMultipartUpload(bucket: "b", key: "k", uploadId: "u"))
        #expect(try Self.parse("GET", "/b/k", "uploadId=u") == .listParts(bucket: "b", key: "k", uploadId: "u"))
    }

    @Test(arguments: [
        ("PATCH", "/b/k", "", "MethodNotAllowed"), ("POST", "/b", "", "MethodNotAllowed"), ("PUT", "", "", "MethodNotAllowed"),
        ("GET", "/b/a/%2E%2E/c", "", "InvalidArgument"), ("GET", "/b/%ZZ", "", "InvalidArgument"),
        ("GET", "/b%2Fc/k", "", "InvalidBucketName"),
        ("PUT", "/b/k", "partNumber=0&uploadId=u", "InvalidArgument"), ("PUT", "/b/k", "partNumber=10001&uploadId=u", "InvalidArgument"),
        ("PUT", "/b/k/", "", "InvalidArgument"),
    ])
    func refuses(method: String, path: String, query: String, code: String) {
        #expect(SigV4Tests.code { try Self.parse(method, path, query) } == code)
    }

    @Test func writesAreKnown() throws {
        #expect(try !Self.parse("GET", "/b/k").writes)
        #expect(try !Self.parse("GET", "/b", "list-type=2").writes)
        #expect(try Self.parse("DELETE", "/b/k").writes)
        #expect(try Self.parse("POST", "/b", "delete").writes)
    }
}

/// The multipart store on a real data directory: parts, completion, and recovery from each step a crash
/// can interrupt.
@Suite struct MultipartUploadStoreTests {
    static func stage(_ bytes: [UInt8], _ vault: OpenedVault) throws -> StagingFile.Staged {
        let file = try StagingFile(directory: vault.objects.directory, limit: 1 << 20)
        try file.append(bytes)
        return try file.finish()
    }

    static func setUp(_ directory: TemporaryDirectory) throws -> (OpenedVault, MultipartUpload) {
        let vault = try OpenedVault(root: directory.sub("data"))
        _ = try vault.objects.catalog.ensureBucket(
            BucketRecord(
                id: "b", name: "b", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil,
                createdAt: 0, updatedAt: 0))
        let upload = MultipartUpload(
            id: ResumableUploadStore.newId(), bucket: "b", key: "k", mimeType: "application/octet-stream",
            cacheControl: "no-cache", userMetadata: nil, createdAt: 0)
        try vault.multipart.create(upload)
        return (vault, upload)
    }

    @Test func partsCanBeReplacedAndTheChosenOnesAssembled() throws {
        let directory = TemporaryDirectory("vv-multipart")
        let (vault, upload) = try Self.setUp(directory)
        let store = vault.multipart
        let first = try store.putPart(try Self.stage(Array("old".utf8), vault), number: 1, of: upload.id)
        let replaced = try store.putPart(try Self.stage(Array("hello ".utf8), vault), number: 1, of: upload.id)
        let second = try store.putPart(try Self.stage(Array("world".utf8), vault), number: 2, of: upload.id)
        #expect(first != replaced)
        #expect(try store.parts(of: upload.id).map(\.number) == [1, 2])
        #expect(throws: S3Error.self) { try store.complete(upload.id, parts: [(2, second), (1, replaced)], globalLimit: 100) }
        #expect(throws: S3Error.self) { try store.complete(upload.id, parts: [(1, second)], globalLimit: 100) }
        let record = try store.complete(upload.id, parts: [(1, replaced), (2, second)], globalLimit: 100)
        #expect(try FileSystem.readFile(vault.objects.path(of: record)) == Array("hello world".utf8))
        #expect(try store.upload(upload.id) == nil)
        #expect(throws: S3Error.noSuchUpload) { try store.putPart(try Self.stage([1], vault), number: 3, of: upload.id) }
    }

    @Test func aCompletionStoppedAtAnyStepIsFinishedOnceByRecovery() throws {
        for stop in ["planned", "assembled", "linked"] {
            let directory = TemporaryDirectory("vv-multipart")
            let (vault, upload) = try Self.setUp(directory)
            let store = vault.multipart
            let sha = try store.putPart(try Self.stage(Array("bytes".utf8), vault), number: 1, of: upload.id)
            var planned = upload
            planned.completion = .init(version: UUID().uuidString.lowercased(), parts: [.init(number: 1, sha256: sha)])
            try store.save(planned)
            if stop != "planned" {
                try FileSystem.link(store.partPath(upload.id, number: 1, sha256: sha), to: store.assembledPath(upload.id))
            }
            if stop == "linked", let version = planned.completion?.version {
                _ = try FileSystem.link(store.assembledPath(upload.id), to: vault.objects.directory.objectFile(version: version))
            }
            #expect(try store.recover(globalLimit: 100) == (completed: 1, failed: 0), "\(stop)")
            let record = try #require(try vault.objects.catalog.object(bucket: "b", key: "k"))
            #expect(record.version == planned.completion?.version && record.size == 5, "\(stop)")
            #expect(try store.upload(upload.id) == nil)
            #expect(try store.recover(globalLimit: 100) == (completed: 0, failed: 0))
        }
    }

    @Test func abandonedUploadsAreSwept() throws {
        let directory = TemporaryDirectory("vv-multipart")
        let (vault, upload) = try Self.setUp(directory)
        #expect(try vault.multipart.sweep(now: 1000) == 0)
        #expect(try vault.multipart.sweep(now: MultipartUploadStore.abandonedAfterSeconds + 1) == 1)
        #expect(try vault.multipart.upload(upload.id) == nil)
    }
}

/// The signer the cluster's S3 blob store uses: AWS's documented example signs to AWS's signature, and what it
/// signs, our own verifier accepts (and refuses once any signed part changes).
@Suite struct SigV4SignerTests {
    static let signer = SigV4Signer(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")

    @Test func theDocumentedGetObjectSignsToTheDocumentedSignature() {
        let fields = Self.signer.sign(
            method: "GET", path: "/test.txt", headers: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")],
            payloadSHA256: SigV4.emptyPayloadHash, now: SigV4Tests.exampleTime)
        let authorization = fields.first { $0.name == "authorization" }?.value
        #expect(authorization == SigV4Tests.getHeaders["authorization"])
        #expect(fields.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
    }

    @Test func whatItSignsTheVerifierAccepts() throws {
        let body = Array("a blob's bytes".utf8)
        let now: Int64 = 1_796_621_198
        let query = [(name: "partNumber", value: "2"), (name: "uploadId", value: "a b/c")]
        var headers = ["host": "127.0.0.1:8333", "x-amz-checksum-sha256": "abc="]
        for field in Self.signer.sign(
            method: "PUT", path: "/bucket/blobs/ab%20c", query: query, headers: headers.map { ($0.key, $0.value) },
            payloadSHA256: SHA256Digest.of(body).hex, now: now)
        {
            headers[field.name] = field.value
        }
        let verifier = SigV4Verifier(credentials: SigV4Tests.credentials)
        let rawQuery = SigV4Signer.queryString(query)
        let verified = try verifier.verify(
            SigV4Tests.request(method: "PUT", path: "/bucket/blobs/ab%20c", query: rawQuery, headers: headers), now: now + 5)
        #expect(verified.payload == .sha256(SHA256Digest.of(body).hex))
        var changed = headers
        changed["x-amz-checksum-sha256"] = "abd="
        #expect(
            SigV4Tests.code {
                try verifier.verify(
                    SigV4Tests.request(method: "PUT", path: "/bucket/blobs/ab%20c", query: rawQuery, headers: changed), now: now)
            } == "SignatureDoesNotMatch")
    }

    @Test(arguments: [
        (Int64(0), "19700101T000000Z"), (1_369_353_600, "20130524T000000Z"), (951_782_400, "20000229T000000Z"),
        (4_102_444_799, "20991231T235959Z"),
    ])
    func datesAreWrittenAsAmazonWritesThem(seconds: Int64, expected: String) {
        #expect(SigV4Signer.amzDate(seconds) == expected)
    }
}
