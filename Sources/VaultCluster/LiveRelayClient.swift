import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import VaultCore

/// A waiting node's side of a relay: `GET <holder>/cluster/v1/live/<hash>` with the cluster's credential,
/// its body decoded frame by frame (`RelayFrameDecoder`) into the steps of the holder's generation.
///
/// A dead holder is noticed either way it can die: its process (the kernel resets the connection: the body
/// ends without an `end` frame) or its machine (nothing arrives; the holder sends `quiet` frames while it is
/// alive, so `quietBound` without a byte is a cut).
struct LiveRelayClient: Sendable {
    /// The cluster's relay credential (`RelayCredential`), presented as a bearer token.
    let credential: String

    /// Longer than the holder's quiet interval several times over.
    static let quietBound = TimeAmount.seconds(10)

    /// One client for every relay of the process, with the idle read bound: never shut down, like
    /// `HTTPClient.shared`, since it lives as long as the process.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: quietBound)))

    func steps(of hash: SHA256Digest, from holder: String) -> AsyncThrowingStream<LiveGeneration.RelayStep, any Error> {
        let credential = credential
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let base = holder.hasSuffix("/") ? String(holder.dropLast()) : holder
                    var request = HTTPClientRequest(url: base + RelayFrame.routePrefix + hash.hex)
                    request.headers.add(name: "Authorization", value: "Bearer " + credential)
                    let response: HTTPClientResponse
                    do {
                        // The whole generation may take minutes; the idle read bound is what notices a dead holder.
                        response = try await Self.client.execute(request, timeout: .hours(1))
                    } catch {
                        throw ClusterRelayError.notGeneratingThere
                    }
                    switch response.status.code {
                    case 200: break
                    case 401, 403: throw ClusterRelayError.refused
                    default: throw ClusterRelayError.notGeneratingThere
                    }
                    var decoder = RelayFrameDecoder()
                    for try await slice in response.body {
                        let frames: [RelayFrame]
                        do throws(RelayFrameError) { frames = try decoder.feed(slice.readableBytesView) } catch {
                            throw ClusterRelayError.cut(error.description)
                        }
                        for frame in frames {
                            switch frame {
                            case let .piece(piece): continuation.yield(.piece(piece))
                            case .quiet: continuation.yield(.quiet)
                            case .restart: continuation.yield(.restart)
                            case .end:
                                continuation.finish()
                                return
                            case let .failed(code, message): throw ClusterRelayError.holderFailed(code: code, message: message)
                            }
                        }
                    }
                    throw ClusterRelayError.cut("the holder's answer ended before the generation did")
                } catch let error as ClusterRelayError {
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(throwing: ClusterRelayError.cut("\(error)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// The credential nodes present to each other's relay route: derived from `VOICEVAULT_SIGNING_SECRET`, which
/// every node of a cluster shares (and must: Storage's signed URLs are checked by whichever node gets them),
/// so there is no second secret to distribute, and the relay credential does not reveal the signing secret.
public enum RelayCredential {
    public static func derive(fromSigningSecret secret: [UInt8]) -> String {
        HMACSHA256.authenticate(Array("voicevault cluster relay v1".utf8), key: secret).map { String(format: "%02x", $0) }.joined()
    }
}
