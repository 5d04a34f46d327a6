import Foundation

/// Examples and their labels: row `i` of `images` is labelled by element `i` of `labels`.
public struct LabeledData: Sendable {
  /// The inputs, `[count, ...]`; for MNIST `float32 [count, 784]` in [0, 1].
  public let images: NDArray
  /// The class of each example, `int32 [count]`.
  public let labels: NDArray

  /// The number of examples.
  public var count: Int { labels.shape[0] }

  /// Pairs `images` with `labels`.
  ///
  /// - Throws: `FrostError.invalidArgument` when `labels` is not `int32` of rank 1, `images`
  ///   is a scalar, or their first dimensions differ.
  public init(images: NDArray, labels: NDArray) throws {
    guard labels.dtype == .int32, labels.rank == 1 else {
      throw FrostError.invalidArgument(
        "LabeledData: labels must be int32 [count], got \(labels.dtype)"
          + " \(describeShape(labels.shape))")
    }
    guard images.shape.first == labels.shape[0] else {
      throw FrostError.invalidArgument(
        "LabeledData: images \(describeShape(images.shape)) need one row per label, and there"
          + " are \(labels.shape[0]) labels")
    }
    self.images = images
    self.labels = labels
  }

  /// The examples whose label is one of `classes`, in their original order, copied into new
  /// storage (the persistence exercise trains on classes 0–4, then on 5–9).
  public func filtered(classes: some Sequence<Int>) -> LabeledData {
    let wanted = Set(classes)
    let kept = labels.withUnsafeBuffer(of: Int32.self) { labels in
      labels.indices.filter { wanted.contains(Int(labels[$0])) }
    }
    return LabeledData(
      checkedImages: images.gatheringRowsUnchecked(kept),
      labels: labels.gatheringRowsUnchecked(kept))
  }

  /// The first `maxCount` examples, or all of them when there are fewer; shares storage.
  ///
  /// - Throws: `FrostError.invalidArgument` when `maxCount` is negative.
  public func prefix(_ maxCount: Int) throws -> LabeledData {
    guard maxCount >= 0 else {
      throw FrostError.invalidArgument("LabeledData.prefix: count \(maxCount) is negative")
    }
    return rows(0..<min(maxCount, count))
  }

  init(checkedImages images: NDArray, labels: NDArray) {
    precondition(images.shape.first == labels.shape.first && labels.dtype == .int32)
    self.images = images
    self.labels = labels
  }

  /// The examples `range`, sharing storage; `range` must lie within `0..<count`.
  func rows(_ range: Range<Int>) -> LabeledData {
    LabeledData(
      checkedImages: images.rowsUnchecked(range), labels: labels.rowsUnchecked(range))
  }
}

/// A dataset in the layout of MNIST: training, validation and test examples.
///
/// Images are `float32 [count, 784]` in [0, 1] (each pixel byte divided by 255), labels
/// `int32 [count]` in `0..<10`.
public struct MNISTDataset: Sendable {
  /// The training examples: all of the training file but its first `validationCount`.
  public let train: LabeledData
  /// The first `validationCount` examples of the training file.
  public let validation: LabeledData
  /// The examples of the test (`t10k`) files.
  public let test: LabeledData

  /// The number of classes in MNIST and Fashion-MNIST; labels outside `0..<10` are errors.
  public static let classCount = 10

  /// The files of an MNIST-style directory, without the optional `.gz`.
  static let fileNames = (
    trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
    testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte"
  )

  /// Loads the four standard files from `directory`, each plain or gzipped (a plain file is
  /// preferred when both exist), and splits the training file into validation (its first
  /// `validationCount` examples) and training (the rest): 55,000 / 5,000 / 10,000 for MNIST.
  ///
  /// The validation and training sets share one storage; nothing is copied after reading.
  ///
  /// - Throws: `FrostError.notFound` naming the directory or the file that is missing;
  ///   the errors of `IDX.images(atPath:flattened:)` and `IDX.labels(atPath:)`;
  ///   `FrostError.invalidFile` when a labels file does not match its images file in count,
  ///   a label is outside `0..<10`, or train and test images differ in size;
  ///   `FrostError.invalidArgument` when `validationCount` is negative or larger than the
  ///   training file.
  public static func load(from directory: String, validationCount: Int = 5_000) throws
    -> MNISTDataset
  {
    try load(from: directory, validationCount: validationCount, missingHint: "")
  }

  static func load(
    from directory: String, validationCount: Int, missingHint: String
  ) throws -> MNISTDataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw FrostError.notFound("MNIST directory \(directory) does not exist\(missingHint)")
    }
    func locate(_ name: String) throws -> String {
      let plain = (directory as NSString).appendingPathComponent(name)
      let candidates = [plain, plain + ".gz"]
      if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
        return found
      }
      throw FrostError.notFound(
        "\(plain): neither \(name) nor \(name).gz is in \(directory)\(missingHint)")
    }

    let names = fileNames
    let trainFile = try readPair(
      images: locate(names.trainImages), labels: locate(names.trainLabels))
    let testFile = try readPair(
      images: locate(names.testImages), labels: locate(names.testLabels))
    guard trainFile.data.images.shape[1] == testFile.data.images.shape[1] else {
      throw FrostError.invalidFile(
        path: testFile.imagesPath,
        reason: "images have \(testFile.data.images.shape[1]) pixels, the training images"
          + " \(trainFile.data.images.shape[1])")
    }
    guard validationCount >= 0, validationCount <= trainFile.data.count else {
      throw FrostError.invalidArgument(
        "MNISTDataset: validationCount \(validationCount) must be in"
          + " 0...\(trainFile.data.count), the examples in \(trainFile.imagesPath)")
    }

    let all = trainFile.data
    return MNISTDataset(
      train: all.rows(validationCount..<all.count), validation: all.rows(0..<validationCount),
      test: testFile.data)
  }

  /// Reads an images file and its labels file and checks that they belong together.
  private static func readPair(
    images imagesPath: String, labels labelsPath: String
  ) throws -> (data: LabeledData, imagesPath: String) {
    let images = try IDX.images(atPath: imagesPath, flattened: true)
    let labels = try IDX.labels(atPath: labelsPath)
    guard labels.shape[0] == images.shape[0] else {
      throw FrostError.invalidFile(
        path: labelsPath,
        reason: "holds \(labels.shape[0]) labels but \(imagesPath) holds \(images.shape[0])"
          + " images")
    }
    let outside = labels.withUnsafeBuffer(of: Int32.self) { values in
      values.firstIndex { $0 < 0 || $0 >= classCount }.map { ($0, values[$0]) }
    }
    if let (index, label) = outside {
      throw FrostError.invalidFile(
        path: labelsPath, reason: "label \(label) at index \(index) is outside 0..<\(classCount)")
    }
    return (LabeledData(checkedImages: images, labels: labels), imagesPath)
  }
}

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28×28 grey images of clothing in ten
/// classes, in the files and layout of MNIST.
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` package installs the four gzipped files.
  public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

  /// The Debian package that provides `defaultDirectory`.
  public static let debianPackage = "dataset-fashion-mnist"

  /// The names of the ten classes, indexed by label.
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// Loads Fashion-MNIST from `directory` as `MNISTDataset.load(from:validationCount:)`
  /// does: 55,000 training, 5,000 validation and 10,000 test examples by default.
  ///
  /// - Throws: as `MNISTDataset.load(from:validationCount:)`; a missing directory or file
  ///   is a `FrostError.notFound` that also names the Debian package to install.
  public static func load(
    from directory: String = defaultDirectory, validationCount: Int = 5_000
  ) throws -> MNISTDataset {
    try MNISTDataset.load(
      from: directory, validationCount: validationCount,
      missingHint: "; the default directory \(defaultDirectory) is installed by the Debian"
        + " package \(debianPackage) (apt-get install \(debianPackage))")
  }
}
