#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// A plain TCP connection for what an HTTP client library will not do: hostile headers, half-sent requests,
/// idle, slow and never-reading connections. Blocking, with a receive timeout; use it from a detached task.
/// A small `receiveBuffer` makes the server feel a pause in reading quickly.
public final class RawConnection: @unchecked Sendable {
    public let descriptor: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(port: Int, receiveBuffer: Int32? = nil, receiveTimeout: Double = 30) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect: \(errno)")
        }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - receiveTimeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Hangs up both ways now (the descriptor itself is closed at deinit).
    public func disconnect() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Sends all of `bytes`; false when the peer has closed (EPIPE/ECONNRESET).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until at least `count` bytes arrived, the peer closes or the timeout passes.
    public func receive(atLeast count: Int) -> [UInt8] { receiveAll(limit: count) }

    /// Reads until the peer closes, the timeout passes, or `limit` bytes arrived.
    public func receiveAll(limit: Int = 1 << 20) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while received.count < limit {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return received
    }

    /// Reads one response's head (through the blank line); nil when the connection ended first.
    public func receiveHead() -> String? {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = recv(descriptor, &byte, 1, 0)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return nil }
            received.append(byte)
            if received.count >= 4, received.suffix(4).elementsEqual([13, 10, 13, 10]) {
                return String(decoding: received, as: UTF8.self)
            }
        }
    }

    /// Whether the peer has closed the connection: a read returns end of file (or a reset) within `timeout`.
    public func peerClosed(within timeout: Double) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while Date() < deadline {
            let ready = poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return true }
        }
        return false
    }

    /// The status code of an HTTP response's first line.
    public static func status(_ response: [UInt8]) -> Int? {
        let line = String(decoding: response.prefix(64), as: UTF8.self)
        guard line.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(line.dropFirst(9).prefix(3))
    }
}

/// One request on its own connection (`Connection: close`), sent raw, the whole answer read back.
public func rawRequest(port: Int, _ method: String, _ target: String, headers: [(String, String)] = [], body: String = "")
    async throws -> (status: Int?, response: [UInt8])
{
    try await Task.detached {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        connection.send(head + body)
        let response = connection.receiveAll()
        return (RawConnection.status(response), response)
    }.value
}
