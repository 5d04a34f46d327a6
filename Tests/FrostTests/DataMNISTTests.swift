import Foundation
import Testing

@testable import Frost

@Suite("Data: MNIST-style datasets")
struct DataMNISTTests {
  /// A directory in the MNIST layout: 6 training and 3 test images of 2×2 pixels; training
  /// image `i` has every pixel equal to `i`, and label `i % 10`.
  static func writeDataset(
    into dir: DataScratchDirectory, gzipTrainImages: Bool = true, trainLabels: [UInt8]? = nil,
    testPixels: UInt32 = 2
  ) throws {
    let trainPixels = (0..<6).flatMap { [UInt8](repeating: UInt8($0), count: 4) }
    let trainImages = idxFileBytes(type: 0x08, dimensions: [6, 2, 2], data: trainPixels)
    try dir.write(
      "train-images-idx3-ubyte" + (gzipTrainImages ? ".gz" : ""),
      gzipTrainImages ? gzipBytes(trainImages) : trainImages)
    let labels = trainLabels ?? [0, 1, 2, 3, 4, 5]
    try dir.write(
      "train-labels-idx1-ubyte",
      idxFileBytes(type: 0x08, dimensions: [UInt32(labels.count)], data: labels))
    let testData = [UInt8](repeating: 255, count: 3 * 2 * Int(testPixels))
    try dir.write(
      "t10k-images-idx3-ubyte.gz",
      gzipBytes(idxFileBytes(type: 0x08, dimensions: [3, 2, testPixels], data: testData)))
    try dir.write(
      "t10k-labels-idx1-ubyte.gz",
      gzipBytes(idxFileBytes(type: 0x08, dimensions: [3], data: [7, 8, 9])))
  }

  @Test func loadsAndSplitsAnMNISTDirectory() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir)

    let data = try MNISTDataset.load(from: dir.path, validationCount: 2)
    #expect(data.validation.count == 2)
    #expect(data.train.count == 4)
    #expect(data.test.count == 3)
    #expect(data.train.images.shape == [4, 4])
    #expect(data.train.images.dtype == .float32)
    #expect(try data.validation.labels.scalars(as: Int32.self) == [0, 1])
    #expect(try data.train.labels.scalars(as: Int32.self) == [2, 3, 4, 5])
    #expect(try data.test.labels.scalars(as: Int32.self) == [7, 8, 9])
    let firstTrain = try data.train.images.rows(0..<1).scalars(as: Float.self)
    #expect(firstTrain == [Float](repeating: Float(2) / 255, count: 4))
    #expect(try data.test.images.scalars(as: Float.self).allSatisfy { $0 == 1 })
    // Validation and training are views of one storage.
    #expect(data.train.images.storage === data.validation.images.storage)

    let everything = try MNISTDataset.load(from: dir.path, validationCount: 0)
    #expect(everything.train.count == 6 && everything.validation.count == 0)
  }

  @Test func acceptsPlainAndGzippedNames() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir, gzipTrainImages: false)
    #expect(try MNISTDataset.load(from: dir.path, validationCount: 1).train.count == 5)
  }

  @Test func missingDirectoryNamesItAndThePackage() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    let missing = dir.path + "/nowhere"
    expectDataError(.notFound, mentioning: [missing, "does not exist"]) {
      try MNISTDataset.load(from: missing)
    }
    expectDataError(.notFound, mentioning: [missing, "dataset-fashion-mnist", "apt-get"]) {
      try FashionMNIST.load(from: missing)
    }
    // A file where the directory should be.
    let file = try dir.write("not-a-directory", [1])
    expectDataError(.notFound, mentioning: [file]) { try FashionMNIST.load(from: file) }
  }

  @Test func missingFileNamesItAndThePackage() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir)
    try FileManager.default.removeItem(atPath: dir.path + "/t10k-labels-idx1-ubyte.gz")
    expectDataError(
      .notFound,
      mentioning: [
        "t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz", dir.path, "dataset-fashion-mnist",
      ]
    ) {
      try FashionMNIST.load(from: dir.path)
    }
  }

  @Test func mismatchedOrBadLabelsAreErrors() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir, trainLabels: [0, 1, 2, 3, 4])
    let labels = dir.path + "/train-labels-idx1-ubyte"
    expectDataError(.invalidFile, mentioning: [labels, "holds 5 labels", "holds 6 images"]) {
      try MNISTDataset.load(from: dir.path, validationCount: 1)
    }

    try Self.writeDataset(into: dir, trainLabels: [0, 1, 2, 10, 4, 5])
    expectDataError(.invalidFile, mentioning: [labels, "label 10 at index 3", "0..<10"]) {
      try MNISTDataset.load(from: dir.path, validationCount: 1)
    }
  }

  @Test func mismatchedImageSizesAndBadValidationCountAreErrors() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir, testPixels: 3)
    expectDataError(.invalidFile, mentioning: ["t10k-images-idx3-ubyte.gz", "6 pixels", "4"]) {
      try MNISTDataset.load(from: dir.path, validationCount: 1)
    }

    try Self.writeDataset(into: dir)
    expectDataError(.invalidArgument, mentioning: ["validationCount 7", "0...6"]) {
      try MNISTDataset.load(from: dir.path, validationCount: 7)
    }
    expectDataError(.invalidArgument, mentioning: ["validationCount -1"]) {
      try MNISTDataset.load(from: dir.path, validationCount: -1)
    }
  }

  @Test func corruptFileInTheDirectoryIsNamed() throws {
    let dir = try DataScratchDirectory()
    defer { dir.remove() }
    try Self.writeDataset(into: dir)
    let truncated = Array(gzipBytes([0, 0, 8, 3]).dropLast(3))
    let images = try dir.write("train-images-idx3-ubyte.gz", truncated)
    expectDataError(.invalidFile, mentioning: [images]) {
      try MNISTDataset.load(from: dir.path)
    }
  }

  // MARK: LabeledData

  static func sample() throws -> LabeledData {
    let images = try NDArray(shape: [6, 2], scalars: (0..<12).map(Float.init))
    return try LabeledData(images: images, labels: NDArray([Int32(3), 7, 0, 5, 3, 9]))
  }

  @Test func filteringKeepsOnlyTheClassesInOrder() throws {
    let data = try Self.sample()
    let low = data.filtered(classes: 0..<5)
    #expect(try low.labels.scalars(as: Int32.self) == [3, 0, 3])
    #expect(try low.images.scalars(as: Float.self) == [0, 1, 4, 5, 8, 9])
    let high = data.filtered(classes: [9, 7, 5])
    #expect(try high.labels.scalars(as: Int32.self) == [7, 5, 9])
    #expect(high.images.shape == [3, 2])
    #expect(data.filtered(classes: [42]).count == 0)
    #expect(data.filtered(classes: [42]).images.shape == [0, 2])
  }

  @Test func prefixTakesTheFirstExamples() throws {
    let data = try Self.sample()
    let first = try data.prefix(2)
    #expect(try first.labels.scalars(as: Int32.self) == [3, 7])
    #expect(try first.images.scalars(as: Float.self) == [0, 1, 2, 3])
    #expect(try data.prefix(100).count == 6)
    #expect(try data.prefix(0).count == 0)
    expectDataError(.invalidArgument, mentioning: ["count -1"]) { try data.prefix(-1) }
  }

  @Test func labeledDataChecksItsParts() throws {
    let images = try NDArray(zeros: [3, 2])
    expectDataError(.invalidArgument, mentioning: ["one row per label", "2 labels"]) {
      try LabeledData(images: images, labels: NDArray([Int32(0), 1]))
    }
    expectDataError(.invalidArgument, mentioning: ["int32", "float32"]) {
      try LabeledData(images: images, labels: NDArray([Float(0), 1, 2]))
    }
    expectDataError(.invalidArgument, mentioning: ["one row per label"]) {
      try LabeledData(images: NDArray(Float(1)), labels: NDArray([Int32(0)]))
    }
  }

  // MARK: The real Fashion-MNIST

  @Test func loadsTheInstalledFashionMNIST() throws {
    let directory = FashionMNIST.defaultDirectory
    guard FileManager.default.fileExists(atPath: directory) else {
      let package = FashionMNIST.debianPackage
      Issue.record(
        """
        Fashion-MNIST is not installed at \(directory): install the Debian package \(package) \
        (apt-get install \(package))
        """)
      return
    }
    let data = try FashionMNIST.load()

    #expect(data.train.count == 55_000)
    #expect(data.validation.count == 5_000)
    #expect(data.test.count == 10_000)
    #expect(data.train.images.shape == [55_000, 784])
    #expect(data.validation.images.shape == [5_000, 784])
    #expect(data.test.images.shape == [10_000, 784])
    #expect(data.train.images.dtype == .float32 && data.train.labels.dtype == .int32)

    // Pixel range: all in [0, 1], reaching both ends.
    for part in [data.train, data.validation, data.test] {
      let (low, high) = part.images.withUnsafeBuffer(of: Float.self, extremes)
      #expect(low == 0 && high == 1)
    }

    // Every class, 6,000 times in the training file and 1,000 times in the test file.
    let trainCounts = classCounts(data.train.labels)
    let validationCounts = classCounts(data.validation.labels)
    #expect(zip(trainCounts, validationCounts).map(+) == [Int](repeating: 6_000, count: 10))
    #expect(classCounts(data.test.labels) == [Int](repeating: 1_000, count: 10))

    // The split: validation is the head of the training file, train its tail (first labels
    // and pixel-byte sums of the first images read with Python's gzip module).
    func head(_ part: LabeledData) throws -> [Int32] {
      try part.labels.rows(0..<10).scalars(as: Int32.self)
    }
    #expect(try head(data.validation) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    #expect(try head(data.train) == [4, 0, 7, 9, 9, 9, 4, 4, 3, 4])
    #expect(try head(data.test) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    let validationSum = try data.validation.images.rows(0..<1).scalars(as: Float.self)
      .reduce(0, +)
    #expect(abs(validationSum * 255 - 76_247) < 0.5)
    let trainSum = try data.train.images.rows(0..<1).scalars(as: Float.self).reduce(0, +)
    #expect(abs(trainSum * 255 - 94_772) < 0.5)
  }
}

private func extremes(_ values: UnsafeBufferPointer<Float>) -> (Float, Float) {
  var low = Float.infinity
  var high = -Float.infinity
  // An index loop: a debug build runs it about three times faster than `for value in values`.
  for i in 0..<values.count {
    let value = values[i]
    if value < low { low = value }
    if value > high { high = value }
  }
  return (low, high)
}

private func classCounts(_ labels: NDArray) -> [Int] {
  var counts = [Int](repeating: 0, count: 10)
  labels.withUnsafeBuffer(of: Int32.self) { values in
    for value in values { counts[Int(value)] += 1 }
  }
  return counts
}
