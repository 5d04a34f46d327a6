import Foundation

/// The element type of an IDX file, as coded in the third byte of its magic number.
public enum IDXElementType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  /// Unsigned byte (code 0x08): MNIST's pixels and labels.
  case uint8 = 0x08
  /// Signed byte (code 0x09).
  case int8 = 0x09
  /// Big-endian 16-bit signed integer (code 0x0B).
  case int16 = 0x0B
  /// Big-endian 32-bit signed integer (code 0x0C).
  case int32 = 0x0C
  /// Big-endian IEEE 754 single precision (code 0x0D).
  case float32 = 0x0D
  /// Big-endian IEEE 754 double precision (code 0x0E).
  case float64 = 0x0E

  /// The number of bytes one element occupies in the file.
  public var byteSize: Int {
    switch self {
    case .uint8, .int8: 1
    case .int16: 2
    case .int32, .float32: 4
    case .float64: 8
    }
  }

  /// The dtype `IDX.array(atPath:)` reads this type into: every integer type widens to
  /// `int32`, the float types keep their precision.
  public var dtype: DType {
    switch self {
    case .uint8, .int8, .int16, .int32: .int32
    case .float32: .float32
    case .float64: .float64
    }
  }

  /// The type's name and code, such as `uint8 (0x08)`.
  public var description: String { "\(name) (\(hex(rawValue)))" }

  var name: String {
    switch self {
    case .uint8: "uint8"
    case .int8: "int8"
    case .int16: "int16"
    case .int32: "int32"
    case .float32: "float32"
    case .float64: "float64"
    }
  }
}

/// The header of an IDX file: its element type and dimensions.
public struct IDXHeader: Sendable, Equatable {
  /// The type of every element in the file.
  public let elementType: IDXElementType
  /// The dimensions, outermost first: `[60000, 28, 28]` for MNIST's training images.
  public let dimensions: [Int]
  /// The number of elements the dimensions promise (their product).
  public let elementCount: Int
  /// The number of data bytes after the header.
  public let dataByteCount: Int

  /// The size of the header in bytes: the four-byte magic and four bytes per dimension.
  public var headerByteCount: Int { 4 + 4 * dimensions.count }
}

/// Reads files in the IDX format of the MNIST distribution, plain or gzip-compressed.
///
/// An IDX file is a four-byte magic number (two zero bytes, an element type code and the
/// number of dimensions), one big-endian `UInt32` per dimension, and then the elements in
/// row-major order, big-endian. A gzip file is recognised by its first two bytes, whatever its
/// name, and inflated while it is read.
///
/// Every reader checks the magic, the type code and that the data is exactly as long as the
/// dimensions say; a truncated file or one with trailing bytes is an error. Data streams
/// through a small buffer straight into the result, so reading costs the result's memory and
/// no more. Before allocating the result, a reader checks that the file can hold the data its
/// header promises (exactly for a plain file; at most deflate's 1032:1 ratio for a gzip file)
/// so a corrupt header cannot make it exhaust memory.
public enum IDX {
  /// Reads only the header of the file at `path`.
  ///
  /// - Throws: `FrostError.notFound` for a missing file, `FrostError.io` when it cannot be
  ///   read, `FrostError.invalidFile` for a bad magic number, an unknown type code, a
  ///   truncated header, or dimensions whose product overflows.
  public static func header(atPath path: String) throws -> IDXHeader {
    try readHeader(try FileByteStream.open(path))
  }

  /// The whole file at `path` as an array of the file's dimensions: integer types as `int32`,
  /// `float32` and `float64` as themselves.
  ///
  /// - Throws: as `header(atPath:)`, and `FrostError.invalidFile` when the data is shorter or
  ///   longer than the dimensions promise or the gzip stream is corrupt.
  public static func array(atPath path: String) throws -> NDArray {
    let stream = try FileByteStream.open(path)
    return try readArray(stream, try readHeader(stream))
  }

  /// The unsigned-byte images in the file at `path` as `float32` in [0, 1] (each byte divided
  /// by 255): `[N, rows, columns]`, or `[N, rows * columns]` when `flattened`.
  ///
  /// - Throws: as `array(atPath:)`, and `FrostError.invalidFile` when the file is not
  ///   `uint8` or does not have three dimensions (a labels file passed by mistake).
  public static func images(atPath path: String, flattened: Bool = false) throws -> NDArray {
    let stream = try FileByteStream.open(path)
    let header = try readHeader(stream)
    guard header.elementType == .uint8, header.dimensions.count == 3 else {
      throw FrostError.invalidFile(
        path: path,
        reason: "expected images: uint8 (0x08) with 3 dimensions [count, rows, columns],"
          + " found \(header.elementType) with dimensions \(header.dimensions)")
    }
    let dims = header.dimensions
    let shape = flattened ? [dims[0], dims[1] * dims[2]] : dims
    let storage = try allocateResult(for: header, dtype: .float32, stream: stream)
    let output = storage.bytes.assumingMemoryBound(to: Float.self)

    try byteScaleTable.withUnsafeBufferPointer { table in
      try readData(stream, header) { chunk, first in
        scaleBytes(chunk.assumingMemoryBound(to: UInt8.self), table, output + first)
      }
    }
    return NDArray(dtype: .float32, shape: shape, storage: storage)
  }

  /// The labels in the file at `path` as `int32` `[N]`.
  ///
  /// - Throws: as `array(atPath:)`, and `FrostError.invalidFile` when the file is not one
  ///   dimensional or its elements are not integers of at most 32 bits.
  public static func labels(atPath path: String) throws -> NDArray {
    let stream = try FileByteStream.open(path)
    let header = try readHeader(stream)
    guard header.elementType.dtype == .int32, header.dimensions.count == 1 else {
      throw FrostError.invalidFile(
        path: path,
        reason: "expected labels: integers with 1 dimension [count],"
          + " found \(header.elementType) with dimensions \(header.dimensions)")
    }
    return try readArray(stream, header)
  }
}

// MARK: - Reading

/// `i / 255` in single precision for every byte `i`, as numpy's `x.astype(float32) / 255`.
private let byteScaleTable: [Float] = (0..<256).map { Float($0) / 255 }

/// The tight loop of a load: one table lookup per pixel. A function of its own, because a
/// debug build runs it 0.3 s faster on the 47 MB of training images than inside a closure.
private func scaleBytes(
  _ bytes: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<Float>,
  _ out: UnsafeMutablePointer<Float>
) {
  for i in 0..<bytes.count {
    out[i] = table[Int(bytes[i])]
  }
}

/// The most bytes deflate can encode in one byte: a 258-byte match costs at least two bits.
private let deflateMaximumRatio = 1032

extension IDX {
  static func readHeader(_ stream: FileByteStream) throws -> IDXHeader {
    let path = stream.path
    var magic: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    let got = try withUnsafeMutableBytes(of: &magic) { try stream.read(into: $0) }
    guard got == 4 else {
      throw FrostError.invalidFile(
        path: path, reason: "file ends after \(got) bytes, inside the 4-byte IDX magic number")
    }
    guard magic.0 == 0, magic.1 == 0 else {
      let found = [magic.0, magic.1, magic.2, magic.3].map(hex).joined(separator: " ")
      throw FrostError.invalidFile(
        path: path,
        reason: "not an IDX file: magic number \(found) does not start with 0x00 0x00")
    }
    guard let elementType = IDXElementType(rawValue: magic.2) else {
      let known = IDXElementType.allCases.map { hex($0.rawValue) }.joined(separator: ", ")
      throw FrostError.invalidFile(
        path: path, reason: "unknown IDX element type code \(hex(magic.2)) (known: \(known))")
    }

    let rank = Int(magic.3)
    var raw = [UInt32](repeating: 0, count: rank)
    let dimensionBytes = try raw.withUnsafeMutableBytes { try stream.read(into: $0) }
    guard dimensionBytes == 4 * rank else {
      throw FrostError.invalidFile(
        path: path,
        reason: "file ends inside the header: \(rank) dimensions need \(4 * rank) bytes,"
          + " found \(dimensionBytes)")
    }
    let dimensions = raw.map { Int(UInt32(bigEndian: $0)) }

    var elementCount = 1
    var overflow = false
    for dimension in dimensions where !overflow {
      (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
    }
    let (dataByteCount, byteOverflow) = elementCount.multipliedReportingOverflow(
      by: elementType.byteSize)
    guard !overflow, !byteOverflow else {
      throw FrostError.invalidFile(
        path: path, reason: "dimensions \(dimensions) are too large to be real (overflow)")
    }
    return IDXHeader(
      elementType: elementType, dimensions: dimensions, elementCount: elementCount,
      dataByteCount: dataByteCount)
  }

  /// Checks that the file can hold what `header` promises, then allocates the result: a
  /// corrupt header must not make a reader allocate memory the file cannot fill.
  static func allocateResult(
    for header: IDXHeader, dtype: DType, stream: FileByteStream
  ) throws -> TensorStorage {
    let path = stream.path
    let size = stream.fileSize
    let total = header.headerByteCount + header.dataByteCount
    let promise = "dimensions \(header.dimensions) of \(header.elementType.name) need"
    if stream.isGzip {
      let (ceiling, overflow) = size.multipliedReportingOverflow(by: deflateMaximumRatio)
      if !overflow && total > ceiling {
        throw FrostError.invalidFile(
          path: path,
          reason: "\(promise) \(total) bytes, more than a gzip file of \(size) bytes"
            + " can inflate to; the file is truncated or its header is corrupt")
      }
    } else if size < total {
      throw FrostError.invalidFile(
        path: path,
        reason: "truncated: \(promise) \(header.dataByteCount) data bytes, the file holds"
          + " \(max(size - header.headerByteCount, 0))")
    } else if size > total {
      throw FrostError.invalidFile(
        path: path,
        reason: "\(size - total) trailing bytes: \(promise) \(header.dataByteCount) data"
          + " bytes, the file holds \(size - header.headerByteCount)")
    }

    let (bytes, overflow) = header.elementCount.multipliedReportingOverflow(by: dtype.byteSize)
    let memory = ProcessInfo.processInfo.physicalMemory
    guard !overflow, UInt64(bytes) <= memory else {
      throw FrostError.invalidFile(
        path: path,
        reason: "dimensions \(header.dimensions) as \(dtype) need more than this machine's"
          + " \(memory) bytes of memory; the header is corrupt")
    }
    return TensorStorage(byteCount: bytes, zeroed: false)
  }

  /// Streams the data after the header through a fixed buffer: `body` gets each chunk
  /// (whole elements) and the index of its first element. Then checks the stream ends.
  static func readData(
    _ stream: FileByteStream, _ header: IDXHeader,
    _ body: (UnsafeRawBufferPointer, Int) throws -> Void
  ) throws {
    let elementSize = header.elementType.byteSize
    let capacity = FileByteStream.inputCapacity
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    defer { chunk.deallocate() }

    var done = 0
    while done < header.dataByteCount {
      let wanted = min(capacity, header.dataByteCount - done)
      let got = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[..<wanted]))
      guard got == wanted else {
        throw FrostError.invalidFile(
          path: stream.path,
          reason: "truncated: the data ends after \(done + got) of the"
            + " \(header.dataByteCount) bytes that dimensions \(header.dimensions) of"
            + " \(header.elementType.name) need")
      }
      try body(UnsafeRawBufferPointer(rebasing: chunk[..<got]), done / elementSize)
      done += got
    }
    guard try stream.isAtEnd() else {
      throw FrostError.invalidFile(
        path: stream.path,
        reason: "trailing bytes after the \(header.dataByteCount) data bytes that dimensions"
          + " \(header.dimensions) of \(header.elementType.name) need")
    }
  }

  /// Reads the data into an array of the element type's dtype, converting from big-endian.
  static func readArray(_ stream: FileByteStream, _ header: IDXHeader) throws -> NDArray {
    let dtype = header.elementType.dtype
    let storage = try allocateResult(for: header, dtype: dtype, stream: stream)
    let output = storage.bytes
    let size = header.elementType.byteSize

    try readData(stream, header) { chunk, first in
      func put<Element>(_ element: (UnsafeRawPointer) -> Element) {
        convert(chunk, elementSize: size, into: output, at: first, element)
      }
      switch header.elementType {
      case .uint8: put { Int32($0.load(as: UInt8.self)) }
      case .int8: put { Int32($0.load(as: Int8.self)) }
      case .int16: put { Int32(Int16(bigEndian: $0.loadUnaligned(as: Int16.self))) }
      case .int32: put { Int32(bigEndian: $0.loadUnaligned(as: Int32.self)) }
      case .float32: put { Float(bitPattern: UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self))) }
      case .float64:
        put { Double(bitPattern: UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self))) }
      }
    }
    return NDArray(dtype: dtype, shape: header.dimensions, storage: storage)
  }

  /// Converts each `elementSize`-byte file element of `chunk` with `element` and stores the
  /// results in `output` from element index `first` on.
  private static func convert<Element>(
    _ chunk: UnsafeRawBufferPointer, elementSize: Int, into output: UnsafeMutableRawPointer,
    at first: Int, _ element: (UnsafeRawPointer) -> Element
  ) {
    let out = output.assumingMemoryBound(to: Element.self) + first
    let source = chunk.baseAddress!
    for i in 0..<chunk.count / elementSize {
      out[i] = element(source + i * elementSize)
    }
  }
}

/// A byte as Swift writes hex literals: `0x1F`.
private func hex(_ byte: UInt8) -> String {
  let digits = String(byte, radix: 16, uppercase: true)
  return digits.count == 1 ? "0x0" + digits : "0x" + digits
}
