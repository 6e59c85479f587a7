import NIOCore

/// How many bytes of a connection's output its peer has acknowledged: `tcpi_bytes_acked` of Linux's
/// `struct tcp_info` (since Linux 4.1). It grows only when the client's TCP receives data, which a client
/// that stopped reading does not (the window is closed; zero-window probes acknowledge nothing new), so it
/// tells a slow reader from a stalled one where NIO's own queue cannot: the kernel's send buffer, several
/// megabytes on a fast link, may take longer to drain than the send timeout while NIO's queue stands still.
enum TCPProgress {
    /// The start of Linux's `struct tcp_info` (linux/tcp.h) through `tcpi_bytes_acked`: 8 single bytes and
    /// 24 `u32`s (104 bytes), then `tcpi_pacing_rate` and `tcpi_max_pacing_rate`, then `tcpi_bytes_acked` at
    /// offset 120. The kernel copies what fits, so a shorter kernel structure leaves it zero.
    struct InfoPrefix {
        var fields:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var bytesAcknowledged: UInt64 = 0
    }

    /// 0 when the channel is not a TCP socket, the kernel does not say, or this is not Linux. Call on the
    /// channel's event loop, where the option is read at once.
    static func bytesAcknowledged(_ channel: any Channel) -> UInt64 {
        #if os(Linux)
        guard channel.eventLoop.inEventLoop, let provider = channel as? any SocketOptionProvider else { return 0 }
        let future: EventLoopFuture<InfoPrefix> = provider.unsafeGetSocketOption(level: .tcp, name: .tcp_info)
        var result: UInt64 = 0
        // Completed already on the channel's own loop; a future not yet complete counts as "not said".
        future.whenSuccess { result = $0.bytesAcknowledged }
        return result
        #else
        return 0
        #endif
    }
}
