import Foundation

#if canImport(Glibc)
  import Glibc
#endif

// Tensor bytes go to and from the file as they are in memory; the format is little-endian.
#if _endian(big)
  #error("Frost's safetensors codec copies little-endian bytes unchanged: no big-endian hosts")
#endif

/// A safetensors file (Hugging Face's tensor format), its header read and checked, its
/// tensors read on demand.
///
/// The layout: an 8-byte little-endian header length N; N bytes of UTF-8 JSON mapping each
/// tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`, plus an
/// optional `"__metadata__"` object of strings; then the data section, where offsets start.
/// As in the reference implementation, the tensors must tile the data section exactly: no
/// gaps, no overlaps, no trailing bytes; and fields of an entry other than those three are
/// ignored.
///
/// Opening reads and validates only the header. The file then stays open until the last
/// copy of this value is released, so a file that `write(_:metadata:to:)` replaces meanwhile
/// does not change what is read. Elements are copied as the file's little-endian bytes,
/// unchanged: Frost only runs on little-endian hosts.
public struct SafetensorsFile: Sendable {
  /// One tensor as the header describes it.
  public struct Entry: Sendable, Equatable {
    /// The tensor's name: its key in the header.
    public let name: String
    /// The element type as the file spells it: `F32`, `BOOL`, `BF16`, ...
    public let storedType: String
    /// The Frost element type, or `nil` for a safetensors type that Frost cannot load
    /// (anything but `F32`, `F64`, `I32` and `BOOL`).
    public let dtype: DType?
    /// The dimensions; `[]` for a scalar.
    public let shape: [Int]
    /// Where the tensor's bytes are, as offsets into the data section.
    public let byteRange: Range<Int>
  }

  /// The path the file was opened from.
  public let path: String
  /// Every tensor in the file, sorted by name (byte order of the UTF-8 names).
  public let entries: [Entry]
  /// The `__metadata__` strings; empty when the file has none.
  public let metadata: [String: String]

  private let file: ReadableFile
  private let dataStart: Int
  private let indexByName: [String: Int]

  /// The largest header accepted, as in the reference implementation: a length beyond it
  /// is taken for corruption rather than allocated.
  static let maximumHeaderLength = 100_000_000

  /// The header key that holds the metadata instead of a tensor.
  static let metadataKey = "__metadata__"

  /// The tensor names, sorted as `entries` is.
  public var names: [String] { entries.map(\.name) }

  /// The header's description of the tensor `name`, or `nil` when there is none.
  public func entry(named name: String) -> Entry? {
    indexByName[name].map { entries[$0] }
  }

  /// Opens the safetensors file at `path` and validates its header, without reading the
  /// tensor data.
  ///
  /// - Throws: `FrostError.notFound` when there is no file at `path`; `FrostError.io` when
  ///   it cannot be read; `FrostError.invalidFile` naming the tensor or metadata key at fault
  ///   when the file is shorter than 8 bytes, the header length is beyond the file or over
  ///   100 MB, the header is not UTF-8 JSON or not an object, a key repeats, a dtype is not a
  ///   safetensors type, a shape is not a list of non-negative integers, offsets disagree
  ///   with shape and dtype or lie outside the data section, or the tensors overlap, leave
  ///   gaps or leave trailing bytes, or a metadata value is not a string.
  public init(path: String) throws {
    let file = try ReadableFile(path: path)
    let (members, dataStart) = try Self.readHeader(of: file)
    let dataSize = file.size - dataStart

    var entries: [Entry] = []
    var metadata: [String: String] = [:]
    for (key, value) in members {
      if key == Self.metadataKey {
        metadata = try Self.parseMetadata(value, path: path)
      } else {
        entries.append(try Self.parseEntry(named: key, value, dataSize: dataSize, path: path))
      }
    }
    try Self.checkLayout(of: entries, dataSize: dataSize, path: path)

    entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    var indexByName: [String: Int] = [:]
    for (index, entry) in entries.enumerated() {
      if let other = indexByName.updateValue(index, forKey: entry.name) {
        throw FrostError.invalidFile(
          path: path,
          reason: "tensor names \(JSONValue.quoted(entries[other].name)) and "
            + "\(JSONValue.quoted(entry.name)) differ only in Unicode normalization, "
            + "which Frost's String keys cannot tell apart")
      }
    }

    self.path = path
    self.entries = entries
    self.metadata = metadata
    self.file = file
    self.dataStart = dataStart
    self.indexByName = indexByName
  }

  /// Reads the tensor `name`.
  ///
  /// - Throws: `FrostError.notFound` when the file has no such tensor;
  ///   `FrostError.invalidFile` when its dtype is unsupported by Frost or a `BOOL` byte is
  ///   neither 0 nor 1; `FrostError.io` when reading fails or the file was truncated.
  public func array(named name: String) throws -> NDArray {
    guard let entry = entry(named: name) else { throw missingTensor(name) }
    return try load(entry)
  }

  /// Reads the tensors `names`, keyed by name.
  ///
  /// - Throws: as `array(named:)` does, for the first name that fails.
  public func arrays(named names: [String]) throws -> [String: NDArray] {
    var arrays: [String: NDArray] = [:]
    for name in names where arrays[name] == nil {
      arrays[name] = try array(named: name)
    }
    return arrays
  }

  /// Reads every tensor of the file, keyed by name.
  ///
  /// - Throws: as `array(named:)` does; a file holding a tensor of a dtype Frost does not
  ///   support cannot be loaded whole (load the others by name).
  public func loadAll() throws -> [String: NDArray] {
    try arrays(named: names)
  }

  private func load(_ entry: Entry) throws -> NDArray {
    guard let dtype = entry.dtype else {
      throw FrostError.invalidFile(
        path: path,
        reason: "tensor \(JSONValue.quoted(entry.name)) has dtype \(entry.storedType), which is "
          + "unsupported by Frost (it loads F32, F64, I32 and BOOL)")
    }
    let byteCount = entry.byteRange.count
    let storage = TensorStorage(byteCount: byteCount)
    try file.read(
      into: storage.bytes, count: byteCount, at: dataStart + entry.byteRange.lowerBound,
      purpose: "tensor \(JSONValue.quoted(entry.name))")

    // Any byte but 0 or 1 would be an invalid Swift Bool.
    if dtype == .bool {
      let bytes = UnsafeBufferPointer(
        start: storage.bytes.assumingMemoryBound(to: UInt8.self), count: byteCount)
      if let bad = bytes.firstIndex(where: { $0 > 1 }) {
        throw FrostError.invalidFile(
          path: path,
          reason: "tensor \(JSONValue.quoted(entry.name)) is BOOL, but its element \(bad) "
            + "is the byte \(bytes[bad]), not 0 or 1")
      }
    }
    return NDArray(dtype: dtype, shape: entry.shape, storage: storage)
  }

  private func missingTensor(_ name: String) -> FrostError {
    let shown = names.prefix(10).map { JSONValue.quoted($0) }.joined(separator: ", ")
    let more = names.count > 10 ? " and \(names.count - 10) more" : ""
    let holdings = names.isEmpty ? "the file holds no tensors" : "it holds \(shown)\(more)"
    return FrostError.notFound("\(path): no tensor named \(JSONValue.quoted(name)); \(holdings)")
  }
}

// MARK: - Reading the header

extension SafetensorsFile {
  /// Reads the header length and the header, and returns the header's members and where
  /// the data section starts.
  private static func readHeader(
    of file: ReadableFile
  ) throws -> (members: [(key: String, value: JSONValue)], dataStart: Int) {
    let path = file.path
    guard file.size >= 8 else {
      throw FrostError.invalidFile(
        path: path,
        reason: "the file is \(file.size) bytes long, too short for the 8-byte header length")
    }
    let lengthBytes = try file.read(count: 8, at: 0, purpose: "the header length")
    let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }

    // Check the length against the limit and the file before allocating anything for it.
    guard length <= UInt64(maximumHeaderLength) else {
      throw FrostError.invalidFile(
        path: path,
        reason: "the header length \(length) is absurd (the limit is \(maximumHeaderLength) "
          + "bytes); this is not a safetensors file or it is corrupt")
    }
    guard length <= UInt64(file.size - 8) else {
      throw FrostError.invalidFile(
        path: path,
        reason: "the header length \(length) goes past the end of the file, which holds "
          + "\(file.size - 8) bytes after the length")
    }
    let headerBytes = try file.read(count: Int(length), at: 8, purpose: "the header")

    if let bad = JSONValue.firstInvalidUTF8Offset(in: headerBytes) {
      throw FrostError.invalidFile(
        path: path, reason: "the header is not valid UTF-8 (byte \(bad) of the header)")
    }
    let header: JSONValue
    do {
      header = try JSONValue.parse(headerBytes)
    } catch {
      throw FrostError.invalidFile(
        path: path, reason: "the header is not valid JSON: at \(error)")
    }
    guard let members = header.objectValue else {
      throw FrostError.invalidFile(
        path: path, reason: "the header is \(header.kindDescription), not an object")
    }
    return (members, 8 + Int(length))
  }

  private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
    if value.isNull { return [:] }
    guard let members = value.objectValue else {
      throw FrostError.invalidFile(
        path: path,
        reason: "\(metadataKey) must be an object of strings, not \(value.kindDescription)")
    }
    var metadata: [String: String] = [:]
    for (key, item) in members {
      guard let text = item.stringValue else {
        throw FrostError.invalidFile(
          path: path,
          reason: "\(metadataKey) key \(JSONValue.quoted(key)) maps to \(item.kindDescription), "
            + "not a string")
      }
      guard metadata.updateValue(text, forKey: key) == nil else {
        throw FrostError.invalidFile(
          path: path,
          reason: "\(metadataKey) has two keys equal to \(JSONValue.quoted(key)) after Unicode "
            + "normalization, which Frost's String keys cannot tell apart")
      }
    }
    return metadata
  }

  private static func parseEntry(
    named name: String, _ value: JSONValue, dataSize: Int, path: String
  ) throws -> Entry {
    func invalid(_ reason: String) -> FrostError {
      FrostError.invalidFile(path: path, reason: "tensor \(JSONValue.quoted(name)): \(reason)")
    }
    guard value.objectValue != nil else {
      throw invalid(
        "expected an object of dtype, shape and data_offsets, not \(value.kindDescription)")
    }

    // The element type: any safetensors type is listed; only Frost's four can be loaded.
    guard let dtypeValue = value["dtype"] else { throw invalid("no \"dtype\"") }
    guard let storedType = dtypeValue.stringValue else {
      throw invalid("dtype must be a string, found \(dtypeValue.serialized())")
    }
    guard let bitWidth = safetensorsBitWidths[storedType] else {
      throw invalid(
        "unknown dtype \(JSONValue.quoted(storedType)) (safetensors knows "
          + safetensorsBitWidths.keys.sorted().joined(separator: ", ") + ")")
    }

    // The shape, and its size in bytes, with every product checked for overflow.
    guard let shapeValue = value["shape"] else { throw invalid("no \"shape\"") }
    guard let dims = shapeValue.arrayValue else {
      throw invalid("shape must be an array of integers, found \(shapeValue.serialized())")
    }
    var shape: [Int] = []
    var nonzeroProduct = 1
    for dim in dims {
      guard let size = dim.intValue else {
        throw invalid(
          "shape \(shapeValue.serialized()) holds \(dim.serialized()), "
            + "which is not an integer")
      }
      guard size >= 0 else {
        throw invalid("shape \(shapeValue.serialized()) has the negative dimension \(size)")
      }
      if size > 0 {
        let (product, overflow) = nonzeroProduct.multipliedReportingOverflow(by: size)
        guard !overflow else { throw invalid("shape \(shapeValue.serialized()) is too large") }
        nonzeroProduct = product
      }
      shape.append(size)
    }
    let count = shape.contains(0) ? 0 : nonzeroProduct
    let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
    guard !overflow else { throw invalid("shape \(shapeValue.serialized()) is too large") }
    guard bits % 8 == 0 else {
      throw invalid("shape \(shapeValue.serialized()) of \(storedType) does not fill whole bytes")
    }

    // The offsets: they must hold exactly that many bytes, inside the data section.
    guard let offsetsValue = value["data_offsets"] else { throw invalid("no \"data_offsets\"") }
    guard let offsets = offsetsValue.arrayValue, offsets.count == 2,
      let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= 0
    else {
      throw invalid(
        "data_offsets must be two non-negative integers [begin, end], found "
          + offsetsValue.serialized())
    }
    let offsetsText = "data_offsets [\(begin), \(end)]"
    guard begin <= end else { throw invalid("\(offsetsText) end before they begin") }
    guard end - begin == bits / 8 else {
      throw invalid(
        "shape \(shapeValue.serialized()) of \(storedType) needs \(bits / 8) bytes, "
          + "but \(offsetsText) span \(end - begin)")
    }
    guard end <= dataSize else {
      throw invalid("\(offsetsText) reach beyond the data section, which holds \(dataSize) bytes")
    }

    return Entry(
      name: name, storedType: storedType, dtype: DType(safetensorsName: storedType),
      shape: shape, byteRange: begin..<end)
  }

  /// Checks that the entries tile the data section exactly, as the reference
  /// implementation requires: in offset order, each begins where the one before ended, and
  /// the last ends at the end of the file.
  private static func checkLayout(of entries: [Entry], dataSize: Int, path: String) throws {
    let ordered = entries.sorted {
      if $0.byteRange != $1.byteRange {
        return ($0.byteRange.lowerBound, $0.byteRange.upperBound)
          < ($1.byteRange.lowerBound, $1.byteRange.upperBound)
      }
      return $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
    }
    var covered = 0
    var last: Entry?
    for entry in ordered {
      let range = entry.byteRange
      let offsetsText = "data_offsets [\(range.lowerBound), \(range.upperBound)]"
      if range.lowerBound < covered, let last {
        throw FrostError.invalidFile(
          path: path,
          reason: "tensor \(JSONValue.quoted(entry.name)): \(offsetsText) overlap tensor "
            + "\(JSONValue.quoted(last.name)) at [\(last.byteRange.lowerBound), "
            + "\(last.byteRange.upperBound)]")
      }
      if range.lowerBound > covered {
        throw FrostError.invalidFile(
          path: path,
          reason: "tensor \(JSONValue.quoted(entry.name)): \(offsetsText) leave bytes "
            + "[\(covered), \(range.lowerBound)) of the data section unused; safetensors "
            + "requires the tensors to cover it without gaps")
      }
      if range.upperBound > covered || last == nil {
        covered = range.upperBound
        last = entry
      }
    }
    if covered < dataSize {
      let after = last.map { " after tensor \(JSONValue.quoted($0.name))" } ?? ""
      throw FrostError.invalidFile(
        path: path,
        reason: "the data section holds \(dataSize) bytes but the tensors cover only \(covered); "
          + "the \(dataSize - covered) bytes\(after) belong to no tensor")
    }
  }
}

// MARK: - Writing

extension SafetensorsFile {
  /// Writes `tensors` and `metadata` to a safetensors file at `path`, replacing any file
  /// there atomically.
  ///
  /// The data is laid out contiguously in the byte order of the UTF-8 names, and the header
  /// is padded with spaces to a multiple of 8 bytes, as the reference writer does; the same
  /// tensors always give the same bytes. The file is written beside `path` under a temporary
  /// name, synced to disk, then renamed over `path`, so a crash or a full disk leaves the
  /// previous file intact. Elements are written as their little-endian bytes.
  ///
  /// - Throws: `FrostError.invalidArgument` when a tensor is named `__metadata__`;
  ///   `FrostError.io` naming `path` when the file cannot be written (the temporary file is
  ///   removed and nothing is replaced), or, rarely, when the directory cannot be synced
  ///   after the rename (the new file is in place but might not survive a power loss).
  public static func write(
    _ tensors: [String: NDArray], metadata: [String: String] = [:], to path: String
  ) throws {
    try write(tensors, metadata: metadata, to: path, failingAfter: nil)
  }

  /// `write(_:metadata:to:)`, failing as a full disk would once `limit` bytes are written
  /// (for tests of the failure path).
  static func write(
    _ tensors: [String: NDArray], metadata: [String: String], to path: String,
    failingAfter limit: Int?
  ) throws {
    guard tensors[metadataKey] == nil else {
      throw FrostError.invalidArgument(
        "\(path): \(metadataKey) is the key of the metadata in a safetensors file; "
          + "it cannot name a tensor")
    }
    let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let header = headerBytes(tensors, names: names, metadata: metadata)
    let length = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }

    try AtomicFile.write(to: path, failingAfter: limit) { sink in
      try sink.write(length)
      try sink.write(header)
      for name in names {
        let array = tensors[name]!
        try sink.write(UnsafeRawBufferPointer(start: array.rawPointer, count: array.byteCount))
      }
    }
  }

  /// The header JSON, metadata first, then the tensors in `names` order at consecutive
  /// offsets, padded with spaces to a multiple of 8 bytes.
  private static func headerBytes(
    _ tensors: [String: NDArray], names: [String], metadata: [String: String]
  ) -> [UInt8] {
    var members: [(key: String, value: JSONValue)] = []
    if !metadata.isEmpty {
      let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      members.append(
        (key: metadataKey, value: .object(keys.map { (key: $0, value: .string(metadata[$0]!)) })))
    }
    var offset = 0
    for name in names {
      let array = tensors[name]!
      let description: JSONValue = [
        "dtype": .string(array.dtype.safetensorsName),
        "shape": .array(array.shape.map { .int($0) }),
        "data_offsets": [.int(offset), .int(offset + array.byteCount)],
      ]
      members.append((key: name, value: description))
      offset += array.byteCount
    }
    var bytes = Array(JSONValue.object(members).serialized().utf8)
    bytes += repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
    return bytes
  }
}

// MARK: - Element types

/// The size in bits of one element of each safetensors dtype (version 0.8 of the format).
let safetensorsBitWidths: [String: Int] = [
  "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8,
  "F8_E5M2FNUZ": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "I16": 16, "U16": 16, "F16": 16,
  "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
]

extension DType {
  /// The safetensors spelling of the type: `F32`, `F64`, `I32`, `BOOL`.
  var safetensorsName: String {
    switch self {
    case .float32: "F32"
    case .float64: "F64"
    case .int32: "I32"
    case .bool: "BOOL"
    }
  }

  /// The Frost type a safetensors dtype name stands for, or `nil` when Frost has none.
  init?(safetensorsName: String) {
    guard let type = DType.allCases.first(where: { $0.safetensorsName == safetensorsName })
    else { return nil }
    self = type
  }
}
