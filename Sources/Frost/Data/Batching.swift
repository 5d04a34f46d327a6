extension NDArray {
  /// The rows `indices` of the first dimension, in that order, copied into new storage:
  /// shape `[indices.count] + shape.dropFirst()`. An index may repeat.
  ///
  /// One `memcpy` per row; gather a whole epoch once and take batches with `rows(_:)`, which
  /// share the gathered storage.
  ///
  /// - Throws: `FrostError.invalidArgument` for a scalar, or an index outside
  ///   `0..<shape[0]` (the message names the index and its position).
  public func gatheringRows(_ indices: [Int]) throws -> NDArray {
    guard let rowCount = shape.first else {
      throw FrostError.invalidArgument("gatheringRows: cannot gather rows of a scalar")
    }
    if let position = indices.firstIndex(where: { $0 < 0 || $0 >= rowCount }) {
      throw FrostError.invalidArgument(
        "gatheringRows: index \(indices[position]) at position \(position) is outside"
          + " 0..<\(rowCount), the rows of an array of shape \(describeShape(shape))")
    }
    return gatheringRowsUnchecked(indices)
  }

  /// `gatheringRows(_:)` for indices known to be valid.
  func gatheringRowsUnchecked(_ indices: [Int]) -> NDArray {
    precondition(!shape.isEmpty, "gathering rows of a scalar")
    let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
    var newShape = shape
    newShape[0] = indices.count
    let storage = TensorStorage(byteCount: indices.count * rowBytes, zeroed: false)
    let rowCount = shape[0]
    for index in indices {
      precondition(index >= 0 && index < rowCount, "row \(index) outside 0..<\(rowCount)")
    }
    // Short rows of whole 32-bit words (labels) are copied inline: a call to memcpy costs
    // more than copying a word or a few; longer rows go to memcpy, which is faster there.
    if rowBytes % 4 == 0, rowBytes <= 32 {
      let words = rowBytes / 4
      for (position, index) in indices.enumerated() {
        let from = UnsafeRawPointer(rawPointer + index * rowBytes)
        let to = storage.bytes + position * rowBytes
        for j in 0..<words {
          to.storeBytes(
            of: from.load(fromByteOffset: j * 4, as: UInt32.self), toByteOffset: j * 4,
            as: UInt32.self)
        }
      }
    } else {
      var target = storage.bytes
      for index in indices {
        target.copyMemory(from: rawPointer + index * rowBytes, byteCount: rowBytes)
        target += rowBytes
      }
    }
    return NDArray(dtype: dtype, shape: newShape, storage: storage)
  }

  /// `rows(_:)` for a range known to be valid.
  func rowsUnchecked(_ range: Range<Int>) -> NDArray {
    precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0])
    let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
    var newShape = shape
    newShape[0] = range.count
    return NDArray(
      dtype: dtype, shape: newShape, storage: storage,
      byteOffset: byteOffset + range.lowerBound * rowBytes)
  }
}

/// A uniformly random permutation of `0..<count`, the same for the same seed on every
/// machine and toolchain (numpy's `np.random.permutation(count)`, with Frost's stream).
///
/// Fisher–Yates driven by `PhiloxRandom(seed: seed)`, each swap partner drawn without bias
/// (Lemire's multiply-and-reject) rather than through the standard library, whose algorithm
/// for `Int.random(in:using:)` is not promised to stay the same.
///
/// - Throws: `FrostError.invalidArgument` when `count` is negative.
public func randomPermutation(_ count: Int, seed: UInt64) throws -> [Int] {
  guard count >= 0 else {
    throw FrostError.invalidArgument("randomPermutation: count \(count) is negative")
  }
  var generator = PhiloxRandom(seed: seed)
  var permutation = Array(0..<count)
  var i = count - 1
  while i > 0 {
    permutation.swapAt(i, generator.uniformIndex(below: i + 1))
    i -= 1
  }
  return permutation
}

extension PhiloxRandom {
  /// A uniform integer in `0..<bound`: the high half of a product of random bits and the
  /// bound (Lemire's method), redrawn in the rare case that the low half falls where some
  /// results would be favoured. Bounds that fit 32 bits take 32 random bits per draw.
  mutating func uniformIndex(below bound: Int) -> Int {
    precondition(bound > 0, "uniformIndex needs a positive bound, got \(bound)")
    if bound <= Int(UInt32.max) {
      let range = UInt32(bound)
      var product = UInt64(next32()) &* UInt64(range)
      if UInt32(truncatingIfNeeded: product) < range {
        let threshold = (0 &- range) % range
        while UInt32(truncatingIfNeeded: product) < threshold {
          product = UInt64(next32()) &* UInt64(range)
        }
      }
      return Int(product >> 32)
    }
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold {
        product = next().multipliedFullWidth(by: range)
      }
    }
    return Int(product.high)
  }
}

/// Splits `count` rows into `parts` contiguous ranges of nearly equal size, as numpy's
/// `array_split`: the first `count % parts` ranges hold one row more than the others.
///
/// `arraySplitRanges(10, into: 3)` is `[0..<4, 4..<7, 7..<10]`; 55,000 rows into 500 parts
/// are 500 ranges of 110. With more parts than rows the last ranges are empty.
///
/// - Throws: `FrostError.invalidArgument` when `count` is negative or `parts` is not positive.
public func arraySplitRanges(_ count: Int, into parts: Int) throws -> [Range<Int>] {
  guard count >= 0, parts > 0 else {
    throw FrostError.invalidArgument(
      "arraySplitRanges: cannot split \(count) rows into \(parts) parts"
        + " (needs count >= 0 and parts > 0)")
  }
  let (size, larger) = count.quotientAndRemainder(dividingBy: parts)
  var ranges: [Range<Int>] = []
  ranges.reserveCapacity(parts)
  var start = 0
  for part in 0..<parts {
    let end = start + size + (part < larger ? 1 : 0)
    ranges.append(start..<end)
    start = end
  }
  return ranges
}

/// One epoch of shuffled mini-batches, as the book's `shuffle_batch` yields them: the rows of
/// `x` and `y` in one random order, cut into contiguous batches by `arraySplitRanges`.
///
/// The shuffled copies are gathered once, when the collection is made; each batch is a row
/// slice of them and costs no copy. Iterate with `for (xBatch, yBatch) in batches`.
public struct ShuffledBatches: RandomAccessCollection, Sendable {
  /// The epoch's shuffled copy of the inputs, `[N, ...]`.
  public let x: NDArray
  /// The epoch's shuffled copy of the targets, `[N, ...]`, row `i` belonging to row `i` of
  /// `x`.
  public let y: NDArray
  /// The rows of each batch, in order.
  public let ranges: [Range<Int>]

  /// The position of the first batch (0).
  public var startIndex: Int { 0 }

  /// One past the position of the last batch (the batch count).
  public var endIndex: Int { ranges.count }

  /// Batch `position`: the rows `ranges[position]` of `x` and of `y`, sharing their storage.
  public subscript(position: Int) -> (x: NDArray, y: NDArray) {
    let range = ranges[position]
    return (x.rowsUnchecked(range), y.rowsUnchecked(range))
  }
}

/// Shuffles the rows of `x` and `y` together with `randomPermutation(_:seed:)` and splits
/// them into `batchCount` batches of nearly equal size (numpy's `array_split`).
///
/// Deterministic for a seed; give each epoch its own seed. Memory: one shuffled copy of `x`
/// and `y`, alive while the returned collection or a batch of it is. The book's
/// `len(X) // batch_size` batches are `batchCount: n / batchSize`.
///
/// - Throws: `FrostError.invalidArgument` when `x` or `y` is a scalar, their row counts
///   differ, or `batchCount` is not in `1...rowCount` (a batch would be empty).
public func shuffledBatches(
  _ x: NDArray, _ y: NDArray, batchCount: Int, seed: UInt64
) throws -> ShuffledBatches {
  guard let rowCount = x.shape.first, let yRows = y.shape.first else {
    throw FrostError.invalidArgument(
      "shuffledBatches: x \(describeShape(x.shape)) and y \(describeShape(y.shape))"
        + " need a first dimension of rows")
  }
  guard rowCount == yRows else {
    throw FrostError.invalidArgument(
      "shuffledBatches: x has \(rowCount) rows \(describeShape(x.shape)) but y has \(yRows)"
        + " \(describeShape(y.shape))")
  }
  guard batchCount >= 1, batchCount <= rowCount else {
    throw FrostError.invalidArgument(
      "shuffledBatches: batchCount \(batchCount) must be in 1...\(rowCount) (the row count)"
        + " so that no batch is empty")
  }

  let order = try randomPermutation(rowCount, seed: seed)
  return ShuffledBatches(
    x: x.gatheringRowsUnchecked(order), y: y.gatheringRowsUnchecked(order),
    ranges: try arraySplitRanges(rowCount, into: batchCount))
}
