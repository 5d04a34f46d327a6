import CZlib
import Foundation
import Testing

@testable import Frost

// MARK: - Helpers shared by the Data tests

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct DataScratchDirectory {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "frost-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// Writes `bytes` to `name` inside the directory and returns the file's path.
  @discardableResult
  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let file = path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }

  func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// The bytes of an IDX file: magic, big-endian dimensions, then `data` as given.
func idxFileBytes(type: UInt8, dimensions: [UInt32], data: [UInt8]) -> [UInt8] {
  var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
  for dimension in dimensions {
    withUnsafeBytes(of: dimension.bigEndian) { bytes += $0 }
  }
  return bytes + data
}

/// `bytes` compressed as one gzip member by zlib's deflate.
func gzipBytes(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
  var stream = z_stream()
  // 15 + 16: the largest window, with a gzip header and trailer.
  let status = deflateInit2_(
    &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
    Int32(MemoryLayout<z_stream>.size))
  precondition(status == Z_OK, "deflateInit2 failed: \(status)")
  defer { deflateEnd(&stream) }

  var input = bytes
  var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
  let written = input.withUnsafeMutableBufferPointer { source in
    output.withUnsafeMutableBufferPointer { target in
      stream.next_in = source.baseAddress
      stream.avail_in = UInt32(source.count)
      stream.next_out = target.baseAddress
      stream.avail_out = UInt32(target.count)
      let result = deflate(&stream, Z_FINISH)
      precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
      return target.count - Int(stream.avail_out)
    }
  }
  return Array(output[..<written])
}

/// The kind of `FrostError` a test expects.
enum DataErrorKind {
  case invalidFile, notFound, io, invalidArgument

  func matches(_ error: FrostError) -> Bool {
    switch (self, error) {
    case (.invalidFile, .invalidFile), (.notFound, .notFound), (.io, .io),
      (.invalidArgument, .invalidArgument):
      true
    default: false
    }
  }
}

/// Expects `body` to throw a `FrostError` of `kind` whose message contains every one of
/// `fragments` (the file's path, the reason).
func expectDataError<R>(
  _ kind: DataErrorKind, mentioning fragments: [String],
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) {
  do {
    _ = try body()
    Issue.record("expected a \(kind) error, nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as FrostError {
    #expect(kind.matches(error), "wrong kind of error: \(error)", sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(
        error.description.contains(fragment), "message \"\(error)\" lacks \"\(fragment)\"",
        sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected a FrostError, got \(error)", sourceLocation: sourceLocation)
  }
}

// MARK: - IDX

@Suite("Data: IDX files")
struct DataIDXTests {
  /// Two 2x3 images whose bytes cover 0, 255 and values in between.
  let pixels: [UInt8] = [0, 255, 51, 102, 1, 254, 10, 20, 30, 40, 50, 60]

  var imagesFile: [UInt8] { idxFileBytes(type: 0x08, dimensions: [2, 2, 3], data: pixels) }

  @Test func readsImagesScaledToUnitInterval() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let path = try dir.write("images-idx3-ubyte", imagesFile)

    let images = try IDX.images(atPath: path)
    #expect(images.shape == [2, 2, 3])
    #expect(images.dtype == .float32)
    #expect(try images.scalars(as: Float.self) == pixels.map { Float($0) / 255 })
    let values = try images.scalars(as: Float.self)
    #expect(values[0] == 0 && values[1] == 1 && values[2] == Float(0.2))

    let flat = try IDX.images(atPath: path, flattened: true)
    #expect(flat.shape == [2, 6])
    #expect(try flat.scalars(as: Float.self) == values)
  }

  @Test func gzippedFileReadsTheSameAsThePlainOne() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let plain = try dir.write("images", imagesFile)
    // The name says nothing: gzip is recognised by its magic bytes.
    let packed = try dir.write("images-no-gz-suffix", gzipBytes(imagesFile))

    #expect(try IDX.images(atPath: packed) == IDX.images(atPath: plain))
    #expect(try IDX.header(atPath: packed) == IDX.header(atPath: plain))
  }

  @Test func largeFilesCrossEveryBufferBoundary() throws {
    // 300 KB of data: several read chunks and several refills of the inflate input.
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    var generator = PhiloxRandom(seed: 3)
    let data = (0..<(300 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: generator.next32()) }
    let file = idxFileBytes(type: 0x08, dimensions: [300, 32, 32], data: data)
    let plain = try dir.write("big", file)
    let packed = try dir.write("big.gz", gzipBytes(file, level: 1))
    #expect(gzipBytes(file, level: 1).count > 2 * FileByteStream.inputCapacity)

    let expected = data.map { Float($0) / 255 }
    #expect(try IDX.images(atPath: plain, flattened: true).scalars(as: Float.self) == expected)
    #expect(try IDX.images(atPath: packed, flattened: true).scalars(as: Float.self) == expected)
  }

  @Test func concatenatedGzipMembersReadAsOneStream() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let file = imagesFile
    let members = gzipBytes(Array(file[..<7])) + gzipBytes(Array(file[7...]))
    let path = try dir.write("two-members.gz", members)
    #expect(try IDX.images(atPath: path).scalars(as: Float.self) == pixels.map { Float($0) / 255 })
  }

  @Test func readsLabelsAsInt32() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let path = try dir.write(
      "labels.gz", gzipBytes(idxFileBytes(type: 0x08, dimensions: [5], data: [9, 0, 3, 255, 7])))
    let labels = try IDX.labels(atPath: path)
    #expect(labels.shape == [5])
    #expect(try labels.scalars(as: Int32.self) == [9, 0, 3, 255, 7])
  }

  @Test func readsEveryElementTypeBigEndian() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    func read(_ type: UInt8, _ dims: [UInt32], _ data: [UInt8]) throws -> NDArray {
      let file = idxFileBytes(type: type, dimensions: dims, data: data)
      return try IDX.array(atPath: dir.write("type-\(type)", file))
    }

    #expect(try read(0x08, [3], [0, 128, 255]) == NDArray([Int32(0), 128, 255]))
    #expect(try read(0x09, [3], [0, 128, 255]) == NDArray([Int32(0), -128, -1]))
    #expect(try read(0x0B, [2], [0x01, 0x02, 0xFF, 0xFE]) == NDArray([Int32(258), -2]))
    #expect(
      try read(0x0C, [2], [0x00, 0x01, 0x00, 0x00, 0x80, 0, 0, 0])
        == NDArray([Int32(65536), Int32.min]))
    // 1.5 is 0x3FC00000 in single precision, -2 is 0xC0000000.
    #expect(
      try read(0x0D, [1, 2], [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0])
        == NDArray(shape: [1, 2], scalars: [Float(1.5), -2]))
    // 0.1 in double precision is 0x3FB999999999999A.
    #expect(
      try read(0x0E, [1], [0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A]) == NDArray([0.1]))
    // No dimensions: one element.
    #expect(try read(0x0C, [], [0, 0, 0, 42]).shape == [])
    #expect(try read(0x08, [0, 5], []).shape == [0, 5])
  }

  @Test func headerReportsTypeAndDimensions() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let header = try IDX.header(atPath: dir.write("h", imagesFile))
    #expect(header.elementType == .uint8)
    #expect(header.dimensions == [2, 2, 3])
    #expect(header.elementCount == 12)
    #expect(header.dataByteCount == 12)
    #expect(header.headerByteCount == 16)
    #expect(IDXElementType.float64.description == "float64 (0x0E)")
  }

  // MARK: Errors: each names the file and what is wrong.

  @Test func missingFileAndDirectoryAreErrors() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let missing = dir.path + "/no-such-file"
    expectDataError(.notFound, mentioning: [missing, "no such file"]) {
      try IDX.images(atPath: missing)
    }
    expectDataError(.io, mentioning: [dir.path, "is a directory"]) {
      try IDX.array(atPath: dir.path)
    }
    expectDataError(.io, mentioning: ["/dev/null", "not a regular file"]) {
      try IDX.labels(atPath: "/dev/null")
    }
  }

  @Test func badMagicIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    var bytes = imagesFile
    bytes[0] = 0x01
    let plain = try dir.write("bad-magic", bytes)
    let packed = try dir.write("bad-magic.gz", gzipBytes(bytes))
    for path in [plain, packed] {
      expectDataError(.invalidFile, mentioning: [path, "not an IDX file", "0x01 0x00 0x08 0x03"]) {
        try IDX.images(atPath: path)
      }
    }
    let tiny = try dir.write("tiny", [0, 0])
    expectDataError(.invalidFile, mentioning: [tiny, "after 2 bytes"]) {
      try IDX.header(atPath: tiny)
    }
    let empty = try dir.write("empty", [])
    expectDataError(.invalidFile, mentioning: [empty, "after 0 bytes"]) {
      try IDX.header(atPath: empty)
    }
  }

  @Test func unknownTypeCodeIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let path = try dir.write("bad-type", idxFileBytes(type: 0x0A, dimensions: [2], data: [1, 2]))
    expectDataError(.invalidFile, mentioning: [path, "unknown IDX element type code 0x0A"]) {
      try IDX.array(atPath: path)
    }
  }

  @Test func truncatedHeaderIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let path = try dir.write("short-header", Array(imagesFile[..<9]))
    expectDataError(.invalidFile, mentioning: [path, "inside the header", "3 dimensions"]) {
      try IDX.images(atPath: path)
    }
  }

  @Test func truncatedDataIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let short = Array(imagesFile.dropLast())
    let plain = try dir.write("short", short)
    expectDataError(.invalidFile, mentioning: [plain, "truncated", "12 data bytes", "holds 11"]) {
      try IDX.images(atPath: plain)
    }
    // A complete gzip stream of incomplete IDX data.
    let packed = try dir.write("short.gz", gzipBytes(short))
    expectDataError(.invalidFile, mentioning: [packed, "truncated", "after 11 of the 12 bytes"]) {
      try IDX.images(atPath: packed)
    }
  }

  @Test func trailingBytesAreAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let long = imagesFile + [7, 7, 7]
    let plain = try dir.write("long", long)
    expectDataError(.invalidFile, mentioning: [plain, "3 trailing bytes"]) {
      try IDX.images(atPath: plain)
    }
    let packed = try dir.write("long.gz", gzipBytes(long))
    expectDataError(.invalidFile, mentioning: [packed, "trailing bytes", "12 data bytes"]) {
      try IDX.images(atPath: packed)
    }
    let labels = try dir.write(
      "labels.gz", gzipBytes(idxFileBytes(type: 0x08, dimensions: [2], data: [1, 2, 3])))
    expectDataError(.invalidFile, mentioning: [labels, "trailing bytes"]) {
      try IDX.labels(atPath: labels)
    }
  }

  @Test func truncatedGzipStreamIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let packed = gzipBytes(imagesFile)
    // Cut inside the trailer (the IDX data is complete) and inside the deflate data.
    for cut in [4, packed.count / 2] {
      let path = try dir.write("cut-\(cut).gz", Array(packed.dropLast(cut)))
      expectDataError(.invalidFile, mentioning: [path, "gzip stream is truncated"]) {
        try IDX.images(atPath: path)
      }
    }
  }

  @Test func corruptGzipDataIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    // A wrong CRC in the trailer: the data inflates, the check fails.
    var badCRC = gzipBytes(imagesFile)
    badCRC[badCRC.count - 8] ^= 0xFF
    let crcPath = try dir.write("bad-crc.gz", badCRC)
    expectDataError(.invalidFile, mentioning: [crcPath, "corrupt gzip data"]) {
      try IDX.images(atPath: crcPath)
    }
    // Garbage after a complete member.
    let garbage = try dir.write("garbage.gz", gzipBytes(imagesFile) + [0, 0, 0, 0])
    expectDataError(.invalidFile, mentioning: [garbage, "after the end of the gzip stream"]) {
      try IDX.images(atPath: garbage)
    }
  }

  @Test func headerPromisingMoreThanTheFileCanHoldIsRefusedBeforeAllocating() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    // 40 GB promised by a gzip file of a few dozen bytes: a bomb, or a corrupt header.
    let bomb = idxFileBytes(type: 0x08, dimensions: [50_000_000, 28, 28], data: [1, 2, 3])
    let packed = try dir.write("bomb.gz", gzipBytes(bomb))
    expectDataError(.invalidFile, mentioning: [packed, "more than a gzip file of"]) {
      try IDX.images(atPath: packed)
    }
    let plain = try dir.write("bomb", bomb)
    expectDataError(.invalidFile, mentioning: [plain, "truncated", "holds 3"]) {
      try IDX.array(atPath: plain)
    }
    let huge = idxFileBytes(type: 0x0E, dimensions: [UInt32](repeating: .max, count: 4), data: [])
    let overflowing = try dir.write("overflow", huge)
    expectDataError(.invalidFile, mentioning: [overflowing, "overflow"]) {
      try IDX.header(atPath: overflowing)
    }
  }

  @Test func wrongKindOfFileForImagesOrLabelsIsAnError() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let labels = try dir.write(
      "labels", idxFileBytes(type: 0x08, dimensions: [3], data: [1, 2, 3]))
    expectDataError(.invalidFile, mentioning: [labels, "expected images", "[3]"]) {
      try IDX.images(atPath: labels)
    }
    let floats = try dir.write(
      "floats", idxFileBytes(type: 0x0D, dimensions: [1, 1, 1], data: [0x3F, 0x80, 0, 0]))
    expectDataError(.invalidFile, mentioning: [floats, "expected images", "float32 (0x0D)"]) {
      try IDX.images(atPath: floats)
    }
    expectDataError(.invalidFile, mentioning: [floats, "expected labels"]) {
      try IDX.labels(atPath: floats)
    }
    let images = try dir.write("images", imagesFile)
    expectDataError(.invalidFile, mentioning: [images, "expected labels", "[2, 2, 3]"]) {
      try IDX.labels(atPath: images)
    }
  }
}
