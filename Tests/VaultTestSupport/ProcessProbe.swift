public import Foundation

/// Resident set size of a process, from /proc.
public func residentBytes(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { throw CocoaError(.fileReadCorruptFile) }
    return kilobytes * 1024
}

/// Open descriptors of a process, from /proc: every client connection the server holds is one.
public func openDescriptors(of pid: Int32) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}

/// Polls `condition` until it holds or `timeout` passes: a gate on a condition, never a fixed sleep.
public func eventually(within timeout: Duration, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}

/// CPU time a process has used (user + system), from /proc/<pid>/stat: what an attack costs the server,
/// whatever else the machine is doing, where wall-clock latency would depend on the load.
public func cpuSeconds(of pid: Int32) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name may hold spaces; the fields after its closing parenthesis are fixed.
    guard let close = stat.lastIndex(of: ")") else { throw CocoaError(.fileReadCorruptFile) }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
        throw CocoaError(.fileReadCorruptFile)
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
