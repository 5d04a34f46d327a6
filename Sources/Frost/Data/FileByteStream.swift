import CZlib
import Foundation

/// Reads a file's bytes front to back, inflating them on the way when the file starts with
/// the gzip magic (0x1f 0x8b). Every failure is a `FrostError` that names the file.
///
/// Memory stays at one fixed input buffer whatever the file's size: callers pull the
/// (inflated) bytes in chunks of their own choosing. Concatenated gzip members are read as
/// one stream, as `gzip -d` does.
final class FileByteStream {
  /// The path the stream was opened with, for error messages.
  let path: String
  /// The size of the file on disk (the compressed size for a gzip file).
  let fileSize: Int
  /// Whether the file is gzip, judged by its first two bytes (never by its name).
  let isGzip: Bool

  private let descriptor: Int32
  private let input: UnsafeMutableRawBufferPointer
  // Raw files only: bytes read ahead into `input` while sniffing the magic.
  private var bufferedStart = 0
  private var bufferedEnd = 0
  // Gzip files only.
  private let zstream: UnsafeMutablePointer<z_stream>?
  private var memberEnded = false
  private var inExtraMember = false
  private var finished = false

  /// The size of the read buffer; a multiple of every element size.
  static let inputCapacity = 1 << 16

  private init(
    path: String, descriptor: Int32, fileSize: Int, input: UnsafeMutableRawBufferPointer,
    buffered: Int, zstream: UnsafeMutablePointer<z_stream>?
  ) {
    self.path = path
    self.descriptor = descriptor
    self.fileSize = fileSize
    self.input = input
    self.bufferedEnd = buffered
    self.zstream = zstream
    self.isGzip = zstream != nil
  }

  deinit {
    if let zstream {
      inflateEnd(zstream)
      zstream.deinitialize(count: 1)
      zstream.deallocate()
    }
    input.deallocate()
    close(descriptor)
  }

  /// Opens `path` and sniffs its first bytes.
  ///
  /// - Throws: `FrostError.notFound` when the file does not exist, `FrostError.io` when it
  ///   cannot be opened or read (a directory, no permission), `FrostError.invalidFile` when
  ///   zlib refuses to start.
  static func open(_ path: String) throws -> FileByteStream {
    let (descriptor, fileSize) = try openRegularFile(path)

    let input = UnsafeMutableRawBufferPointer.allocate(
      byteCount: inputCapacity, alignment: 16)
    let buffered: Int
    do {
      buffered = try readFully(descriptor, path: path, into: input.baseAddress!, count: 2)
    } catch {
      input.deallocate()
      close(descriptor)
      throw error
    }
    let gzip = buffered == 2 && input[0] == 0x1f && input[1] == 0x8b
    guard gzip else {
      return FileByteStream(
        path: path, descriptor: descriptor, fileSize: fileSize, input: input,
        buffered: buffered, zstream: nil)
    }

    let zstream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    zstream.initialize(to: z_stream())
    zstream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
    zstream.pointee.avail_in = UInt32(buffered)
    // 15 + 32: the largest window, and accept a gzip (or zlib) header.
    let status = inflateInit2_(
      zstream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      zstream.deallocate()
      input.deallocate()
      close(descriptor)
      throw FrostError.io(path: path, reason: "zlib cannot start inflating (status \(status))")
    }
    return FileByteStream(
      path: path, descriptor: descriptor, fileSize: fileSize, input: input,
      buffered: 0, zstream: zstream)
  }

  /// Fills `buffer` with the next bytes of the (inflated) stream and returns how many it
  /// wrote: fewer than `buffer.count` only at the end of the stream.
  ///
  /// - Throws: `FrostError.invalidFile` for a corrupt or truncated gzip stream,
  ///   `FrostError.io` when the operating system refuses a read.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    if zstream != nil { return try inflate(into: base, count: buffer.count) }

    var filled = min(bufferedEnd - bufferedStart, buffer.count)
    if filled > 0 {
      base.copyMemory(from: input.baseAddress! + bufferedStart, byteCount: filled)
      bufferedStart += filled
    }
    if filled < buffer.count {
      filled += try Self.readFully(
        descriptor, path: path, into: base + filled, count: buffer.count - filled)
    }
    return filled
  }

  /// Whether the stream has no more bytes. For a gzip file this inflates to the end of the
  /// last member, so zlib checks the CRC and length in the trailer.
  func isAtEnd() throws -> Bool {
    var probe: UInt8 = 0
    return try withUnsafeMutableBytes(of: &probe) { try read(into: $0) } == 0
  }

  private func inflate(into base: UnsafeMutableRawPointer, count: Int) throws -> Int {
    let stream = zstream!
    precondition(count <= Int(UInt32.max), "inflate chunk of \(count) bytes is too large")
    stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = UInt32(count)

    while stream.pointee.avail_out > 0 && !finished {
      if stream.pointee.avail_in == 0 {
        let read = try Self.readFully(
          descriptor, path: path, into: input.baseAddress!, count: input.count)
        if read == 0 {
          guard memberEnded else {
            throw FrostError.invalidFile(
              path: path, reason: "gzip stream is truncated (the file ends before its end marker)")
          }
          finished = true
          break
        }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(read)
      }
      if memberEnded {
        // More bytes after a complete member: they must be another gzip member.
        inflateReset(stream)
        memberEnded = false
        inExtraMember = true
      }

      let status = CZlib.inflate(stream, Z_NO_FLUSH)
      switch status {
      case Z_OK:
        continue
      case Z_STREAM_END:
        memberEnded = true
      case Z_BUF_ERROR where stream.pointee.avail_in == 0:
        continue
      case Z_MEM_ERROR:
        throw FrostError.io(path: path, reason: "out of memory while inflating")
      default:
        throw FrostError.invalidFile(path: path, reason: describeInflateFailure(stream))
      }
    }
    return count - Int(stream.pointee.avail_out)
  }

  private func describeInflateFailure(_ stream: UnsafeMutablePointer<z_stream>) -> String {
    if inExtraMember && stream.pointee.total_out == 0 {
      return "bytes after the end of the gzip stream are not gzip data"
    }
    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "unknown zlib error"
    return "corrupt gzip data (\(detail))"
  }

  /// Reads until `count` bytes arrived or the file ended; returns how many arrived.
  private static func readFully(
    _ descriptor: Int32, path: String, into base: UnsafeMutableRawPointer, count: Int
  ) throws -> Int {
    var filled = 0
    while filled < count {
      let result = Glibc.read(descriptor, base + filled, count - filled)
      if result > 0 {
        filled += result
      } else if result == 0 {
        break
      } else if errno != EINTR {
        throw FrostError.io(path: path, reason: "read failed: \(systemMessage(errno))")
      }
    }
    return filled
  }
}
