import Foundation
import Testing

@testable import Frost

// MARK: - Helpers

/// `value` as 8 little-endian bytes.
private func littleEndian(_ value: UInt64) -> [UInt8] {
  (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// A file made by hand: the header's length, the header, then `data`.
private func craft(_ header: String, data: [UInt8] = []) -> [UInt8] {
  littleEndian(UInt64(header.utf8.count)) + Array(header.utf8) + data
}

/// The JSON of one header entry.
private func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
  let dims = shape.map(String.init).joined(separator: ",")
  return #"{"dtype":"\#(dtype)","shape":[\#(dims)],"data_offsets":[\#(begin),\#(end)]}"#
}

/// The bytes an array holds, for comparisons that must see NaN payloads and -0.
private func rawBytes(_ array: NDArray) -> [UInt8] {
  Array(UnsafeRawBufferPointer(start: array.rawPointer, count: array.byteCount))
}

private func expectIdentical(
  _ actual: NDArray?, _ expected: NDArray, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let actual else {
    Issue.record("missing array", sourceLocation: sourceLocation)
    return
  }
  #expect(actual.dtype == expected.dtype, sourceLocation: sourceLocation)
  #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
  #expect(rawBytes(actual) == rawBytes(expected), sourceLocation: sourceLocation)
}

/// Expects `body` to throw `FrostError.invalidFile` for `path`, its reason containing each
/// of `fragments`.
private func expectInvalidFile(
  _ path: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Any
) {
  do {
    let result = try body()
    Issue.record("expected an invalid-file error, got \(result)", sourceLocation: sourceLocation)
  } catch FrostError.invalidFile(let errorPath, let reason) {
    #expect(errorPath == path, sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected an invalid-file error, got \(error)", sourceLocation: sourceLocation)
  }
}

/// Expects opening a file holding `bytes` to fail with an invalid-file error whose reason
/// contains each of `fragments`.
private func expectRejected(
  _ bytes: [UInt8], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let directory = try TemporaryDirectory()
  defer { directory.remove() }
  let path = try directory.write(bytes)
  expectInvalidFile(path, fragments, sourceLocation: sourceLocation) {
    try SafetensorsFile(path: path)
  }
}

/// Expects `body` to throw `FrostError.io` for `path`, its reason containing `fragment`.
private func expectIOError(
  _ path: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) {
  do {
    try body()
    Issue.record("expected an I/O error", sourceLocation: sourceLocation)
  } catch FrostError.io(let errorPath, let reason) {
    #expect(errorPath == path, sourceLocation: sourceLocation)
    #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation)
  } catch {
    Issue.record("expected an I/O error, got \(error)", sourceLocation: sourceLocation)
  }
}

/// One tensor of every dtype, with the values that break careless codecs.
private func sampleTensors() throws -> [String: NDArray] {
  [
    "f32": try NDArray(
      shape: [2, 3],
      scalars: [Float(1.5), -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]),
    "f64": try NDArray(
      shape: [3],
      scalars: [Double.pi, -.greatestFiniteMagnitude, Double(bitPattern: 0x7FF8_0000_0000_0001)]),
    "i32": try NDArray(shape: [2, 2], scalars: [Int32.min, -1, 0, .max]),
    "mask": try NDArray(shape: [4], scalars: [true, false, false, true]),
    "scalar": NDArray(Int32(42)),
    "empty": try NDArray(zeros: [0], dtype: .float32),
    "empty3d": try NDArray(zeros: [2, 0, 3], dtype: .bool),
  ]
}

// MARK: - Round trips and layout

@Suite("Safetensors round trips")
struct SafetensorsRoundTripTests {
  @Test func roundTripsEveryDTypeAndMetadata() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    let tensors = try sampleTensors()
    let metadata = ["format": "frost", "note": "héllo ☃", "empty": ""]
    try SafetensorsFile.write(tensors, metadata: metadata, to: path)

    let file = try SafetensorsFile(path: path)
    #expect(file.path == path)
    #expect(file.names == ["empty", "empty3d", "f32", "f64", "i32", "mask", "scalar"])
    #expect(file.metadata == metadata)
    #expect(file.entry(named: "f64")?.storedType == "F64")
    #expect(file.entry(named: "mask")?.dtype == .bool)
    #expect(file.entry(named: "scalar")?.shape == [])
    #expect(file.entry(named: "nope") == nil)
    for name in file.names {
      expectIdentical(try file.array(named: name), tensors[name]!)
    }
    let all = try file.loadAll()
    #expect(all.count == tensors.count)
    for (name, array) in tensors { expectIdentical(all[name], array) }
    let some = try file.arrays(named: ["i32", "scalar", "i32"])
    #expect(some.keys.sorted() == ["i32", "scalar"])
    expectIdentical(some["scalar"], NDArray(Int32(42)))
  }

  @Test func laysDataOutInNameOrderWithAPaddedHeader() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("golden.safetensors")
    let tensors = ["b": NDArray([Float(1), 2]), "a": NDArray(Int32(7))]
    try SafetensorsFile.write(tensors, metadata: ["k": "v"], to: path)

    let header =
      #"{"__metadata__":{"k":"v"},"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"#
      + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"# + "    "
    let data: [UInt8] = [7, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
    #expect(try bytesOfFile(path) == littleEndian(136) + Array(header.utf8) + data)

    let file = try SafetensorsFile(path: path)
    #expect(file.entries.map(\.byteRange) == [0..<4, 4..<12])
  }

  @Test func sortsNamesByTheirUTF8Bytes() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("names.safetensors")
    let names = ["é", "b", "Z", "a", "a.b", "a_b", ""]
    try SafetensorsFile.write(
      Dictionary(uniqueKeysWithValues: names.map { ($0, NDArray(Int32(1))) }), to: path)
    let file = try SafetensorsFile(path: path)
    #expect(file.names == ["", "Z", "a", "a.b", "a_b", "b", "é"])
    #expect(file.entries.map(\.byteRange.lowerBound) == [0, 4, 8, 12, 16, 20, 24])
  }

  @Test func writesAnEmptyFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("empty.safetensors")
    try SafetensorsFile.write([:], to: path)
    #expect(try bytesOfFile(path) == littleEndian(8) + Array("{}      ".utf8))
    let file = try SafetensorsFile(path: path)
    #expect(file.entries.isEmpty)
    #expect(file.metadata.isEmpty)
    #expect(try file.loadAll().isEmpty)
  }

  @Test func writesOnlyTheBytesOfARowSlice() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("slice.safetensors")
    let whole = try NDArray(shape: [4, 2], scalars: (0..<8).map(Double.init))
    try SafetensorsFile.write(["rows": try whole.rows(1..<3)], to: path)
    let loaded = try SafetensorsFile(path: path).array(named: "rows")
    #expect(loaded.shape == [2, 2])
    #expect(try loaded.scalars(as: Double.self) == [2, 3, 4, 5])
  }

  @Test func replacesAnExistingFileAndLeavesNoTemporaryFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["w": NDArray([Float(1)])], to: path)
    try SafetensorsFile.write(["w": NDArray([Float(2), 3])], to: path)
    #expect(try directory.contents() == ["model.safetensors"])
    let loaded = try SafetensorsFile(path: path).array(named: "w")
    #expect(try loaded.scalars(as: Float.self) == [2, 3])
  }

  @Test func anOpenFileKeepsReadingWhatItOpened() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["w": NDArray([Int32(1), 2])], to: path)
    let old = try SafetensorsFile(path: path)
    try SafetensorsFile.write(["w": NDArray([Int32(3), 4])], to: path)
    #expect(try old.array(named: "w").scalars(as: Int32.self) == [1, 2])
    #expect(try SafetensorsFile(path: path).array(named: "w").scalars(as: Int32.self) == [3, 4])
  }

  @Test func temporaryFilesGoBesideTheDestination() {
    #expect(AtomicFile.split("model.safetensors") == (".", "model.safetensors"))
    #expect(AtomicFile.split("/model.safetensors") == ("/", "model.safetensors"))
    #expect(AtomicFile.split("a/b/m.st") == ("a/b", "m.st"))
    #expect(AtomicFile.split("/a/b/") == ("/a/b", ""))
  }
}

// MARK: - Header validation

@Suite("Safetensors header validation")
struct SafetensorsHeaderTests {
  @Test func missingFileIsNotFound() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("absent.safetensors")
    #expect(throws: FrostError.notFound("\(path): no such file")) {
      try SafetensorsFile(path: path)
    }
  }

  @Test func directoryIsAnIOError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    expectIOError(directory.path, "a directory") { _ = try SafetensorsFile(path: directory.path) }
    expectIOError("/dev/null", "not a regular file") { _ = try SafetensorsFile(path: "/dev/null") }
  }

  @Test func fileShorterThanTheLengthField() throws {
    try expectRejected([], "0 bytes long, too short for the 8-byte header length")
    try expectRejected([2, 0, 0, 0, 0, 0, 0], "7 bytes long")
  }

  @Test func headerLengthBeyondTheFileOrAbsurd() throws {
    try expectRejected(
      littleEndian(100) + Array("{}".utf8), "header length 100 goes past", "2 bytes")
    try expectRejected(littleEndian(3) + Array("{}".utf8), "header length 3 goes past")
    try expectRejected(littleEndian(UInt64.max), "header length 18446744073709551615 is absurd")
    try expectRejected(littleEndian(100_000_001) + [0x7B], "is absurd", "100000000")
  }

  @Test func headerThatIsNotUTF8() throws {
    try expectRejected(craft("{\"a\u{E9}\": 1}").map { $0 == 0xC3 ? 0xFF : $0 }, "not valid UTF-8")
  }

  @Test func headerThatIsNotJSONOrNotAnObject() throws {
    try expectRejected(
      craft(#"{"w": \#(entry("F32", [], 0, 4)),}"#, data: [0, 0, 0, 0]),
      "not valid JSON", "trailing comma before '}'")
    try expectRejected(craft(""), "not valid JSON", "unexpected end of input")
    try expectRejected(craft("[]"), "the header is an array, not an object")
    try expectRejected(craft(#""w""#), "the header is a string, not an object")
  }

  @Test func duplicateTensorNames() throws {
    let header = #"{"w": \#(entry("F32", [1], 0, 4)), "w": \#(entry("F32", [1], 4, 8))}"#
    try expectRejected(craft(header, data: Array(repeating: 0, count: 8)), #"duplicate key "w""#)
  }

  @Test func namesThatSwiftStringsCannotTellApart() throws {
    let header = "{\"\u{E9}\": \(entry("I32", [], 0, 4)), \"e\u{301}\": \(entry("I32", [], 4, 8))}"
    try expectRejected(
      craft(header, data: Array(repeating: 0, count: 8)), "differ only in Unicode normalization")
  }

  @Test func unknownDType() throws {
    try expectRejected(
      craft(#"{"w": \#(entry("F17", [1], 0, 4))}"#, data: [0, 0, 0, 0]),
      #"tensor "w": unknown dtype "F17""#, "BF16", "F32")
  }

  @Test func malformedEntries() throws {
    let zeros: [UInt8] = [0, 0, 0, 0]
    try expectRejected(craft(#"{"w": [1]}"#), #"tensor "w": expected an object"#, "not an array")
    try expectRejected(
      craft(#"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#, data: zeros),
      #"tensor "w": no "dtype""#)
    try expectRejected(
      craft(#"{"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}}"#, data: zeros),
      #"tensor "w": dtype must be a string, found 32"#)
    try expectRejected(
      craft(#"{"w": {"dtype": "F32", "data_offsets": [0, 4]}}"#, data: zeros),
      #"tensor "w": no "shape""#)
    try expectRejected(
      craft(#"{"w": {"dtype": "F32", "shape": [1]}}"#, data: zeros),
      #"tensor "w": no "data_offsets""#)
  }

  @Test func badShapes() throws {
    let zeros: [UInt8] = [0, 0, 0, 0]
    try expectRejected(
      craft(#"{"w": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 4]}}"#, data: zeros),
      #"tensor "w": shape [2,-1] has the negative dimension -1"#)
    try expectRejected(
      craft(#"{"w": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}"#, data: zeros),
      #"tensor "w": shape [1.0] holds 1.0, which is not an integer"#)
    try expectRejected(
      craft(#"{"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}}"#, data: zeros),
      "shape must be an array of integers, found 1")
    try expectRejected(
      craft(#"{"w": \#(entry("F32", [1 << 31, 1 << 31, 4], 0, 4))}"#, data: zeros),
      #"tensor "w": shape [2147483648,2147483648,4] is too large"#)
    try expectRejected(
      craft(#"{"w": \#(entry("F64", [1 << 31, 1 << 31], 0, 4))}"#, data: zeros),
      "is too large")
    try expectRejected(
      craft(#"{"w": \#(entry("F4", [3], 0, 1))}"#, data: [0]),
      #"tensor "w": shape [3] of F4 does not fill whole bytes"#)
  }

  @Test func badOffsets() throws {
    let zeros: [UInt8] = [0, 0, 0, 0]
    for offsets in ["[0]", #"[0, "4"]"#, "[-1, 3]", "[0, 4, 8]", "{}"] {
      try expectRejected(
        craft(#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": \#(offsets)}}"#, data: zeros),
        #"tensor "w": data_offsets must be two non-negative integers"#)
    }
    try expectRejected(
      craft(#"{"w": \#(entry("F32", [0], 4, 0))}"#, data: zeros),
      #"tensor "w": data_offsets [4, 0] end before they begin"#)
  }

  @Test func byteCountDisagreeingWithShapeAndDType() throws {
    try expectRejected(
      craft(#"{"w": \#(entry("F32", [2, 3], 0, 20))}"#, data: Array(repeating: 0, count: 20)),
      #"tensor "w": shape [2,3] of F32 needs 24 bytes, but data_offsets [0, 20] span 20"#)
    try expectRejected(
      craft(#"{"b": \#(entry("BF16", [3], 0, 4))}"#, data: [0, 0, 0, 0]),
      "of BF16 needs 6 bytes")
  }

  @Test func offsetsBeyondTheDataSection() throws {
    try expectRejected(
      craft(#"{"w": \#(entry("F32", [2], 0, 8))}"#, data: [0, 0, 0, 0]),
      #"tensor "w": data_offsets [0, 8] reach beyond the data section, which holds 4 bytes"#)
  }

  @Test func overlappingEntries() throws {
    let header = #"{"a": \#(entry("F32", [2], 0, 8)), "b": \#(entry("F32", [1], 4, 8))}"#
    try expectRejected(
      craft(header, data: Array(repeating: 0, count: 8)),
      #"tensor "b": data_offsets [4, 8] overlap tensor "a" at [0, 8]"#)
    let twice = #"{"a": \#(entry("I32", [1], 0, 4)), "b": \#(entry("I32", [1], 0, 4))}"#
    try expectRejected(craft(twice, data: [0, 0, 0, 0]), #"overlap tensor "a" at [0, 4]"#)
  }

  @Test func gapsInTheDataSection() throws {
    try expectRejected(
      craft(#"{"a": \#(entry("F32", [1], 4, 8))}"#, data: Array(repeating: 0, count: 8)),
      #"tensor "a": data_offsets [4, 8] leave bytes [0, 4) of the data section unused"#)
    let header = #"{"a": \#(entry("I32", [1], 0, 4)), "b": \#(entry("I32", [1], 8, 12))}"#
    try expectRejected(
      craft(header, data: Array(repeating: 0, count: 12)), #"tensor "b""#, "leave bytes [4, 8)")
  }

  @Test func trailingBytesAfterTheLastTensor() throws {
    try expectRejected(
      craft(#"{"a": \#(entry("I32", [1], 0, 4))}"#, data: Array(repeating: 0, count: 6)),
      "holds 6 bytes but the tensors cover only 4", #"the 2 bytes after tensor "a""#)
    try expectRejected(craft("{}", data: [1]), "holds 1 bytes", "belong to no tensor")
  }

  @Test func emptyTensorsTakeNoSpace() throws {
    let header =
      #"{"e": \#(entry("F32", [0, 5], 0, 0)), "a": \#(entry("I32", [1], 0, 4)), "#
      + #""z": \#(entry("BOOL", [0], 4, 4))}"#
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try SafetensorsFile(path: try directory.write(craft(header, data: [9, 0, 0, 0])))
    #expect(try file.array(named: "a").scalars(as: Int32.self) == [9])
    #expect(try file.array(named: "e").shape == [0, 5])
    #expect(try file.array(named: "z").count == 0)
  }

  @Test func badMetadata() throws {
    let tensor = #""w": \#(entry("I32", [], 0, 4))"#
    try expectRejected(
      craft(#"{"__metadata__": {"step": 12}, \#(tensor)}"#, data: [0, 0, 0, 0]),
      #"__metadata__ key "step" maps to a number, not a string"#)
    try expectRejected(
      craft(#"{"__metadata__": {"a": "x", "b": ["y"]}, \#(tensor)}"#, data: [0, 0, 0, 0]),
      #"__metadata__ key "b" maps to an array"#)
    try expectRejected(
      craft(#"{"__metadata__": "x", \#(tensor)}"#, data: [0, 0, 0, 0]),
      "__metadata__ must be an object of strings, not a string")
    try expectRejected(
      craft("{\"__metadata__\": {\"\u{E9}\": \"1\", \"e\u{301}\": \"2\"}}"),
      "__metadata__ has two keys equal")
  }

  @Test func nullMetadataIsNoMetadata() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try SafetensorsFile(path: try directory.write(craft(#"{"__metadata__": null}"#)))
    #expect(file.metadata.isEmpty)
    #expect(file.entries.isEmpty)
  }
}

// MARK: - Loading tensors

@Suite("Safetensors loading")
struct SafetensorsLoadingTests {
  @Test func unsupportedDTypesAreListedButNotLoaded() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let header = #"{"half": \#(entry("F16", [2], 0, 4)), "w": \#(entry("I32", [1], 4, 8))}"#
    let path = try directory.write(craft(header, data: [0, 0x3C, 0, 0x3C, 5, 0, 0, 0]))
    let file = try SafetensorsFile(path: path)
    #expect(
      file.entries == [
        .init(name: "half", storedType: "F16", dtype: nil, shape: [2], byteRange: 0..<4),
        .init(name: "w", storedType: "I32", dtype: .int32, shape: [1], byteRange: 4..<8),
      ])
    #expect(try file.array(named: "w").scalars(as: Int32.self) == [5])
    let fragments = [#"tensor "half" has dtype F16, which is unsupported by Frost"#]
    expectInvalidFile(path, fragments) { try file.array(named: "half") }
    expectInvalidFile(path, fragments) { try file.loadAll() }
  }

  @Test func boolBytesMustBeZeroOrOne() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = try directory.write(
      craft(#"{"mask": \#(entry("BOOL", [3], 0, 3))}"#, data: [1, 0, 2]))
    let file = try SafetensorsFile(path: path)
    expectInvalidFile(path, [#"tensor "mask" is BOOL, but its element 2 is the byte 2"#]) {
      try file.array(named: "mask")
    }
  }

  @Test func unknownNamesAreNotFound() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["a": NDArray(Int32(1)), "b": NDArray(Int32(2))], to: path)
    let file = try SafetensorsFile(path: path)
    #expect(throws: FrostError.notFound(#"\#(path): no tensor named "c"; it holds "a", "b""#)) {
      try file.array(named: "c")
    }
    #expect(throws: FrostError.self) { try file.arrays(named: ["a", "zz"]) }

    let many = Dictionary(uniqueKeysWithValues: (0..<12).map { ("t\($0)", NDArray(true)) })
    try SafetensorsFile.write(many, to: path)
    let crowded = try SafetensorsFile(path: path)
    do {
      _ = try crowded.array(named: "x")
      Issue.record("loaded a missing tensor")
    } catch FrostError.notFound(let message) {
      #expect(message.contains(#""t0", "t1", "t10", "t11", "t2""#))
      #expect(message.hasSuffix("and 2 more"))
    }

    try SafetensorsFile.write([:], to: path)
    #expect(
      throws: FrostError.notFound(#"\#(path): no tensor named "a"; the file holds no tensors"#)
    ) {
      try SafetensorsFile(path: path).array(named: "a")
    }
  }

  @Test func fileTruncatedAfterOpeningIsAnIOError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["w": NDArray([Double(1), 2])], to: path)
    let file = try SafetensorsFile(path: path)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(try bytesOfFile(path).count - 4))
    try handle.close()
    expectIOError(path, "truncated after it was opened") { _ = try file.array(named: "w") }
  }
}

// MARK: - Atomic replacement

@Suite("Safetensors atomic writes")
struct SafetensorsAtomicWriteTests {
  @Test func aFullDiskLeavesThePreviousFileIntact() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["old": NDArray([Float(1), 2, 3])], metadata: ["v": "1"], to: path)
    let before = try bytesOfFile(path)

    let tensors = try sampleTensors()
    for limit in [0, 5, 8, 100, 300] {
      expectIOError(path, "writing failed after \(limit) bytes: No space left on device") {
        try SafetensorsFile.write(tensors, metadata: ["v": "2"], to: path, failingAfter: limit)
      }
      #expect(try bytesOfFile(path) == before)
      #expect(try directory.contents() == ["model.safetensors"])
    }

    // The same limit far enough out lets the write through.
    try SafetensorsFile.write(tensors, metadata: ["v": "2"], to: path, failingAfter: 1 << 20)
    #expect(try SafetensorsFile(path: path).metadata == ["v": "2"])
  }

  @Test func aMissingDirectoryIsAnIOErrorNamingThePath() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("missing/model.safetensors")
    expectIOError(path, "cannot create a temporary file in \(directory.path)/missing") {
      try SafetensorsFile.write(["w": NDArray(Int32(1))], to: path)
    }
    #expect(try directory.contents() == [])
  }

  @Test func aDirectoryInTheWayIsNotReplaced() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    _ = try directory.write([1, 2, 3], to: "model.safetensors/keep")
    expectIOError(path, "cannot replace it") {
      try SafetensorsFile.write(["w": NDArray(Int32(1))], to: path)
    }
    #expect(try directory.contents() == ["model.safetensors"])
    #expect(try bytesOfFile(path + "/keep") == [1, 2, 3])
  }

  @Test func aReservedNameIsRejectedBeforeWriting() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.safetensors")
    try SafetensorsFile.write(["w": NDArray(Int32(1))], to: path)
    let before = try bytesOfFile(path)
    #expect(
      throws: FrostError.invalidArgument(
        "\(path): __metadata__ is the key of the metadata in a safetensors file; "
          + "it cannot name a tensor")
    ) {
      try SafetensorsFile.write(["__metadata__": NDArray(Int32(1))], to: path)
    }
    #expect(try bytesOfFile(path) == before)
    #expect(try directory.contents() == ["model.safetensors"])
  }
}
