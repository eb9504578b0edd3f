#if canImport(Glibc)
import Glibc
#endif
import DICOM
import Synchronization

/// A `FrameDecoder` that decodes in a helper process, so that a codec that aborts or crashes on a
/// hostile frame (GDCM asserts on some) costs that one file, not the export. The helper is started
/// on first use (`command`, e.g. `dicomcrawler-decoder`), serves frames one at a time over
/// its standard input and output (`DecoderWorker.serve`), and is started again after it dies. One
/// helper per thread that decodes: a `DecoderProcess` is used by one thread at a time
/// (`DecoderProcessPool` hands them out).
public final class DecoderProcess: @unchecked Sendable {
    let command: [String]
    let syntaxes: Set<String>
    /// Longest a frame may take; then the helper is killed and the frame fails.
    let timeoutSeconds: Int
    private var pid: pid_t = 0
    private var socket: Int32 = -1

    public init(command: [String], syntaxes: Set<String>, timeoutSeconds: Int = 300) {
        self.command = command
        self.syntaxes = syntaxes
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { stop() }

    /// Ends the helper (closing its input ends its loop).
    public func stop() {
        if socket >= 0 { close(socket); socket = -1 }
        if pid > 0 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            pid = 0
        }
    }

    private func start() throws(PixelError) {
        // A socket pair rather than pipes: writes to a helper that died fail with EPIPE
        // (MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw PixelError(.decoderFailed, "cannot start the decoder: socketpair: \(Errno(errno).text)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        // The codecs' own messages (GDCM prints warnings) are not ours to show.
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let rc = posix_spawn(&child, command[0], &actions, nil, argv, environ)
        close(pair[1])
        guard rc == 0 else {
            close(pair[0])
            throw PixelError(.decoderFailed, "cannot start the decoder \(command[0]): \(Errno(rc).text)")
        }
        pid = child
        socket = pair[0]
    }

    private func send(_ raw: UnsafeRawBufferPointer) -> Bool {
        var sent = 0
        while sent < raw.count {
            let n = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Why the helper ended, after it stopped answering.
    private func reapReason() -> String {
        if socket >= 0 { close(socket); socket = -1 }
        guard pid > 0 else { return "the decoder stopped" }
        var status: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
        pid = 0
        if r < 0 { return "the decoder stopped" }
        let signal = status & 0x7F
        if signal != 0 { return "the decoder crashed (signal \(signal))" }
        let code = (status >> 8) & 0xFF
        if code == 127 {
            // The dynamic loader's status (a shared library missing) or exec's: the helper's own
            // stderr, where the loader says which, is not kept (the codecs print there).
            return "the decoder exited with status 127: it could not start (a shared library it needs missing?); run \(command[0]) --version to see why"
        }
        return "the decoder exited with status \(code)"
    }

    public func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput {
        if pid == 0 { try start() }
        var request = WireWriter()
        request.string(transferSyntaxUID)
        request.format(format)
        request.u64(UInt64(frame.count))
        guard request.bytes.withUnsafeBytes({ send($0) }), frame.count == 0 || send(frame) else {
            throw PixelError(.decoderFailed, reapReason())
        }
        var reader = WireReader(fd: socket, deadline: monotonicSeconds() + Double(timeoutSeconds))
        enum Answer { case decoded(DecoderOutput), failed(String), malformed(String) }
        let answer: Answer
        do throws(WireReader.Failure) {
            if try reader.u8() != 0 {
                answer = .failed(try reader.string())
            } else {
                let bytesPerSample = Int(try reader.u64())
                let planar = try reader.u8() != 0
                let photometric = try reader.string()
                let precision = try reader.i64()
                let signed = try reader.u8()
                let count = try reader.u64()
                let expected = UInt64(format.samplesPerFrame) * UInt64(max(bytesPerSample, 1))
                if [1, 2, 4, 8].contains(bytesPerSample) && count == expected {
                    let bytes = try reader.bytes(Int(count))
                    answer = .decoded(DecoderOutput(bytes: bytes, bytesPerSample: bytesPerSample, isPlanar: planar, photometric: photometric,
                                                    precision: precision < 0 ? nil : Int(precision), isSigned: signed == 2 ? nil : signed == 1))
                } else {
                    answer = .malformed("the decoder returned \(count) bytes of \(bytesPerSample)-byte samples for a \(format.rows) x \(format.columns) x \(format.samplesPerPixel) frame")
                }
            }
        } catch {
            switch error {
            case .timedOut:
                kill(pid, SIGKILL)
                _ = reapReason()
                throw PixelError(.decoderFailed, "the decoder took more than \(timeoutSeconds) s on one frame and was stopped")
            case .ended:
                throw PixelError(.decoderFailed, reapReason())
            }
        }
        switch answer {
        case .decoded(let out): return out
        case .failed(let message): throw PixelError(.decoderFailed, message)
        case .malformed(let message):
            kill(pid, SIGKILL)
            _ = reapReason()
            throw PixelError(.decoderFailed, message)
        }
    }
}

extension DecoderProcess: FrameDecoder {
    public func canDecode(transferSyntaxUID: String) -> Bool { syntaxes.contains(transferSyntaxUID) }
}

/// One `DecoderProcess` per thread that decodes: taken for a file, given back after it.
public final class DecoderProcessPool: Sendable {
    let command: [String]
    let syntaxes: Set<String>
    private let idle = Mutex<[DecoderProcess]>([])

    public init(command: [String], syntaxes: Set<String>) {
        self.command = command
        self.syntaxes = syntaxes
    }

    public func take() -> DecoderProcess {
        idle.withLock { $0.popLast() } ?? DecoderProcess(command: command, syntaxes: syntaxes)
    }

    public func giveBack(_ p: DecoderProcess) { idle.withLock { $0.append(p) } }

    /// Ends every idle helper.
    public func stopAll() { idle.withLock { ps in for p in ps { p.stop() }; ps.removeAll() } }
}

/// The helper's side: reads frames from `input`, decodes each with `decoder`, answers on `output`,
/// until `input` ends. A decoder error is an answer; a crash ends the process (the parent sees it).
public enum DecoderWorker {
    public static func serve(decoder: any FrameDecoder, input: Int32 = 0, output: Int32 = 1) -> Int32 {
        while true {
            var reader = WireReader(fd: input, deadline: nil)
            let ts: String, format: PixelFormat, frame: [UInt8]
            do throws(WireReader.Failure) {
                ts = try reader.string()
                guard let f = try reader.format() else { return 2 }
                format = f
                let n = try reader.u64()
                guard n <= 1 << 34 else { return 2 }
                frame = try reader.bytes(Int(n))
            } catch {
                return 0  // the parent closed our input: done
            }
            var answer = WireWriter()
            let result: Result<DecoderOutput, PixelError> = frame.withUnsafeBytes { raw in
                Result { () throws(PixelError) in try decoder.decode(raw, format: format, transferSyntaxUID: ts) }
            }
            do throws(PixelError) {
                let out = try result.get()
                answer.u8(0)
                answer.u64(UInt64(out.bytesPerSample))
                answer.u8(out.isPlanar ? 1 : 0)
                answer.string(out.photometric)
                answer.i64(Int64(out.precision ?? -1))
                answer.u8(out.isSigned.map { $0 ? 1 : 0 } ?? 2)
                answer.u64(UInt64(out.bytes.count))
                do throws(Errno) {
                    try writeAll(output, answer.bytes)
                    try writeAll(output, out.bytes)
                } catch { return 1 }
            } catch {
                answer.u8(1)
                answer.string(error.message)
                do throws(Errno) { try writeAll(output, answer.bytes) } catch { return 1 }
            }
        }
    }
}

/// Little-endian fields of the helper protocol.
struct WireWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += s.utf8
    }
    mutating func format(_ f: PixelFormat) {
        for v in [f.rows, f.columns, f.samplesPerPixel, f.bitsAllocated, f.bitsStored, f.highBit, f.isSigned ? 1 : 0,
                  f.planarConfiguration, f.numberOfFrames] { i64(Int64(v)) }
        switch f.element {
        case .pixelData: u8(0)
        case .floatPixelData: u8(1)
        case .doubleFloatPixelData: u8(2)
        }
        string(f.photometric)
    }
}

struct WireReader {
    enum Failure: Error { case ended, timedOut }
    let fd: Int32
    let deadline: Double?

    mutating func bytes(_ n: Int) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            if let deadline {
                let left = deadline - monotonicSeconds()
                if left <= 0 { throw .timedOut }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, Int32(min(left * 1000, 60_000)) + 1)
                if r < 0 && errno == EINTR { continue }
                if r == 0 { continue }
            }
            let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { throw .ended }
            got += r
        }
        return out
    }
    mutating func u8() throws(Failure) -> UInt8 { try bytes(1)[0] }
    mutating func u64() throws(Failure) -> UInt64 {
        let b = try bytes(8)
        return b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
    mutating func i64() throws(Failure) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func string() throws(Failure) -> String {
        let n = try u64()
        guard n <= 1 << 20 else { throw .ended }
        return String(decoding: try bytes(Int(n)), as: UTF8.self)
    }
    mutating func format() throws(Failure) -> PixelFormat? {
        var v: [Int] = []
        for _ in 0..<9 { v.append(Int(truncatingIfNeeded: try i64())) }
        let element: PixelFormat.DataElement
        switch try u8() {
        case 0: element = .pixelData
        case 1: element = .floatPixelData
        default: element = .doubleFloatPixelData
        }
        let photometric = try string()
        return try? PixelFormat(rows: v[0], columns: v[1], samplesPerPixel: v[2], bitsAllocated: v[3], bitsStored: v[4],
                                highBit: v[5], isSigned: v[6] != 0, photometric: photometric, planarConfiguration: v[7],
                                numberOfFrames: v[8], element: element)
    }
}
