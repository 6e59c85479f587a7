import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// `voicevault pregenerate manifest.json`: submits a pre-generation job to a running server
/// (`POST /admin/jobs`) and follows it to the end with a progress bar (Docs/OPERATIONS.md, "Pre-generation jobs").
struct PregenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pregenerate",
        abstract: "Generate a book's chapters ahead of readers, through a running server's job queue.",
        discussion: """
            The manifest is {bookId, chapters: [{chapterId, text}], voices: [...], model?, format?, voiceSettings?|speakingRate?}.
            The admin token comes from VOICEVAULT_ADMIN_TOKEN. The job runs in the server: interrupting this command
            leaves it running (follow it again with GET /admin/jobs/{id}, or cancel it with DELETE).
            Exit status: 0 done, every item stored; 2 done with failed items; 1 refused, cancelled or unreachable.
            """)

    @Argument(help: "The job manifest (JSON).")
    var manifest: String

    @Option(help: "The server (default http://127.0.0.1:8080).")
    var server = "http://127.0.0.1:8080"

    @Flag(help: "Submit and print the job id without following it.")
    var detach = false

    @Flag(help: "Print the final progress as JSON on standard output.")
    var json = false

    func run() async throws {
        guard let token = Environment.value("VOICEVAULT_ADMIN_TOKEN") else { throw ValidationError("set VOICEVAULT_ADMIN_TOKEN") }
        let body: Data
        do { body = try Data(contentsOf: URL(fileURLWithPath: manifest)) } catch {
            throw ValidationError("cannot read \(manifest): \(error.localizedDescription)")
        }
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        let created = try await call("POST", base + "/admin/jobs", token: token, body: body)
        guard created.status == 201, let id = created.object["id"] as? String else {
            FileHandle.standardError.write(Data("voicevault pregenerate: \(created.status) \(created.text)\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardError.write(
            Data("job \(id): \(created.object["total"] as? Int ?? 0) items, voices \(created.object["voices"] as? [String] ?? [])\n".utf8))
        if detach {
            print(id)
            return
        }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        var last: (status: Int, object: [String: Any], text: String) = created
        while true {
            let status = last.object["status"] as? String ?? ""
            let done = last.object["done"] as? Int ?? 0
            let total = last.object["total"] as? Int ?? 0
            bar.update(label: status, done: done, total: total)
            if status == "done" || status == "cancelled" { break }
            try await Task.sleep(for: .milliseconds(500))
            last = try await call("GET", base + "/admin/jobs/" + id, token: token, body: nil)
            guard last.status == 200 else {
                bar.finish()
                FileHandle.standardError.write(Data("voicevault pregenerate: \(last.status) \(last.text)\n".utf8))
                throw ExitCode(1)
            }
        }
        bar.finish()
        if json {
            print(last.text)
        } else {
            let object = last.object
            print(
                "job \(id) \(object["status"] as? String ?? ""): \(object["generated"] as? Int ?? 0) generated, "
                    + "\(object["cached"] as? Int ?? 0) already cached, \(object["failed"] as? Int ?? 0) failed; "
                    + "\(object["charactersSpent"] as? Int ?? 0) characters spent")
            for failure in object["failures"] as? [[String: Any]] ?? [] {
                print(
                    "failed: chapter \(failure["chapterId"] as? String ?? "") voice \(failure["voiceId"] as? String ?? ""): \(failure["code"] as? String ?? "")"
                )
            }
        }
        if last.object["status"] as? String == "cancelled" { throw ExitCode(1) }
        if (last.object["failed"] as? Int ?? 0) > 0 { throw ExitCode(2) }
    }

    func call(_ method: String, _ url: String, token: String, body: Data?) async throws -> (
        status: Int, object: [String: Any], text: String
    ) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "authorization", value: "Bearer " + token)
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: answer)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (Int(response.status.code), object, text)
    }
}
