import Foundation

// Files: opening regular files for reading, reading at offsets, and replacing files
// atomically. Shared by checkpoints, graph files, caches and datasets.

/// Opens the regular file at `path` for reading and returns its descriptor and size.
///
/// - Throws: `FrostError.notFound` when nothing is there, `FrostError.io` when it cannot
///   be opened or is not a regular file (a directory, a device).
func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int) {
  let descriptor = open(path, O_RDONLY | O_CLOEXEC)
  guard descriptor >= 0 else {
    let code = errno
    if code == ENOENT { throw FrostError.notFound("\(path): no such file") }
    throw FrostError.io(path: path, reason: "cannot open it: \(systemMessage(code))")
  }
  var status = stat()
  guard fstat(descriptor, &status) == 0 else {
    let code = errno
    close(descriptor)
    throw FrostError.io(path: path, reason: "cannot inspect it: \(systemMessage(code))")
  }
  guard status.st_mode & S_IFMT == S_IFREG else {
    close(descriptor)
    let kind = status.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
    throw FrostError.io(path: path, reason: "it is \(kind)")
  }
  return (descriptor, Int(status.st_size))
}

/// The message of a POSIX error code.
func systemMessage(_ code: Int32) -> String {
  String(cString: strerror(code))
}

/// An I/O error for `path` from the current `errno`; call it right after the failing call.
private func lastError(_ path: String, _ what: StaticString) -> FrostError {
  let code = errno
  return FrostError.io(path: path, reason: "\(what): \(systemMessage(code))")
}

/// A regular file open for reading at offsets; closed when the last reference goes away.
final class ReadableFile: Sendable {
  /// The path it was opened from, for messages.
  let path: String
  /// Its size in bytes when it was opened.
  let size: Int
  private let descriptor: Int32

  /// Opens the regular file at `path`.
  ///
  /// - Throws: `FrostError.notFound` when nothing is there, `FrostError.io` when it cannot
  ///   be opened or is not a regular file.
  init(path: String) throws {
    (descriptor, size) = try openRegularFile(path)
    self.path = path
  }

  deinit {
    close(descriptor)
  }

  /// Reads exactly `count` bytes at `offset` into `buffer`.
  ///
  /// - Throws: `FrostError.io` when the read fails or the file ends first (it was
  ///   truncated after it was opened).
  func read(
    into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int, purpose: String
  ) throws {
    var done = 0
    while done < count {
      let chunk = min(count - done, 1 << 30)
      let result = pread(descriptor, buffer + done, chunk, off_t(offset + done))
      if result < 0 {
        let code = errno
        if code == EINTR { continue }
        throw FrostError.io(
          path: path, reason: "reading \(purpose) failed: \(systemMessage(code))")
      }
      guard result > 0 else {
        throw FrostError.io(
          path: path,
          reason: "the file ends at byte \(offset + done) while reading \(purpose); "
            + "it was truncated after it was opened")
      }
      done += result
    }
  }

  /// Reads exactly `count` bytes at `offset`.
  func read(count: Int, at offset: Int, purpose: String) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    if count > 0 {
      try bytes.withUnsafeMutableBytes {
        try read(into: $0.baseAddress!, count: count, at: offset, purpose: purpose)
      }
    }
    return bytes
  }
}

/// Where `AtomicFile.write` sends the bytes of the new file.
struct FileSink {
  /// The destination path, for messages.
  let path: String
  fileprivate let descriptor: Int32
  fileprivate let limit: Int?
  /// How many bytes were written so far.
  private(set) var written = 0

  /// Appends `bytes` to the file.
  ///
  /// - Throws: `FrostError.io` naming the destination when the system refuses the write.
  mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      var chunk = min(bytes.count - done, 1 << 30)
      if let limit { chunk = min(chunk, limit - written) }
      let result = chunk > 0 ? Glibc.write(descriptor, bytes.baseAddress! + done, chunk) : -1
      if result < 0 {
        let code = chunk > 0 ? errno : ENOSPC
        if code == EINTR { continue }
        throw FrostError.io(
          path: path,
          reason: "writing failed after \(written) bytes: \(systemMessage(code)); "
            + "nothing was replaced")
      }
      done += result
      written += result
    }
  }

  /// Appends `bytes` to the file.
  mutating func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }
}

/// Replaces files so that a reader, or the disk after a crash, sees the old content or
/// the new one, never a mix.
enum AtomicFile {
  /// Lets `body` write the new content of `path` into a temporary file in the same
  /// directory, syncs it to disk, renames it over `path` and syncs the directory.
  ///
  /// - Parameter limit: when set, writes fail as on a full disk past that many bytes
  ///   (for tests).
  /// - Throws: `FrostError.io` naming `path` when any step fails; the temporary file is
  ///   then removed and `path` is left as it was. Errors `body` throws are rethrown after
  ///   the same cleanup.
  static func write(
    to path: String, failingAfter limit: Int? = nil, _ body: (inout FileSink) throws -> Void
  ) throws {
    let (directory, name) = split(path)
    let temporaryName =
      "." + String(String.UnicodeScalarView(name.unicodeScalars.prefix(48)))
      + ".\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
    let temporary = (directory.hasSuffix("/") ? directory : directory + "/") + temporaryName

    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else {
      let code = errno
      throw FrostError.io(
        path: path,
        reason: "cannot create a temporary file in \(directory): \(systemMessage(code))")
    }
    var isOpen = true
    do {
      var sink = FileSink(path: path, descriptor: descriptor, limit: limit)
      try body(&sink)
      guard fsync(descriptor) == 0 else { throw lastError(path, "syncing to disk failed") }
      isOpen = false
      guard close(descriptor) == 0 else { throw lastError(path, "closing failed") }
      guard rename(temporary, path) == 0 else { throw lastError(path, "cannot replace it") }
    } catch {
      if isOpen { close(descriptor) }
      unlink(temporary)
      throw error
    }
    try syncDirectory(directory, of: path)
  }

  /// The directory part (`.` when there is none) and the last component of `path`.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  /// Syncs the directory so that the rename itself survives a power loss.
  private static func syncDirectory(_ directory: String, of path: String) throws {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw lastError(path, "written, but its directory cannot be opened to sync it")
    }
    defer { close(descriptor) }
    // Some file systems cannot sync a directory (EINVAL); they have nothing to sync.
    guard fsync(descriptor) == 0 || errno == EINVAL else {
      throw lastError(path, "written, but syncing its directory failed")
    }
  }
}
