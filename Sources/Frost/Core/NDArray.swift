/// A concrete, row-major tensor value: what a `Session` is fed and what it returns.
///
/// An `NDArray` is immutable and cheap to copy. Slicing rows (`rows(_:)`) shares the
/// underlying storage, so batches of a large dataset cost no copy.
public struct NDArray: Sendable {
  /// The element type.
  public let dtype: DType
  /// The concrete dimensions; `[]` for a scalar.
  public let shape: [Int]
  let storage: TensorStorage
  /// Where the first element starts inside `storage`, in bytes.
  let byteOffset: Int

  /// The number of elements (the product of `shape`; 1 for a scalar).
  public var count: Int { shape.reduce(1, *) }

  /// The rank (number of dimensions).
  public var rank: Int { shape.count }

  var byteCount: Int { count * dtype.byteSize }

  /// The first byte of the elements. Read-only by convention: storage an `NDArray` shows
  /// is never written after the array is built, unless the engine owns it.
  var rawPointer: UnsafeMutableRawPointer { storage.bytes + byteOffset }

  init(dtype: DType, shape: [Int], storage: TensorStorage, byteOffset: Int = 0) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    precondition(
      byteOffset + shape.reduce(1, *) * dtype.byteSize <= storage.byteCount,
      "NDArray view exceeds its storage")
    self.dtype = dtype
    self.shape = shape
    self.storage = storage
    self.byteOffset = byteOffset
  }

  /// A zero-filled array of the given type and shape.
  public init(zeros shape: [Int], dtype: DType = .float32) throws {
    try Self.checkShape(shape)
    let bytes = shape.reduce(1, *) * dtype.byteSize
    self.init(dtype: dtype, shape: shape, storage: TensorStorage(byteCount: bytes))
  }

  /// An array of the given shape holding `scalars` in row-major order.
  ///
  /// - Throws: `FrostError.invalidArgument` when the count of `scalars` is not the
  ///   product of `shape`, or a dimension is negative.
  public init<Scalar: TensorScalar>(shape: [Int], scalars: [Scalar]) throws {
    try Self.checkShape(shape)
    let expected = shape.reduce(1, *)
    guard scalars.count == expected else {
      throw FrostError.invalidArgument(
        "NDArray: shape \(describeShape(shape)) needs \(expected) scalars, got \(scalars.count)")
    }
    let storage = TensorStorage(byteCount: expected * Scalar.dtype.byteSize, zeroed: false)
    scalars.withUnsafeBytes { source in
      storage.bytes.copyMemory(from: source.baseAddress!, byteCount: source.count)
    }
    self.init(dtype: Scalar.dtype, shape: shape, storage: storage)
  }

  /// A one-dimensional array of `scalars`.
  public init<Scalar: TensorScalar>(_ scalars: [Scalar]) {
    try! self.init(shape: [scalars.count], scalars: scalars)
  }

  /// A scalar (rank 0) array.
  public init<Scalar: TensorScalar>(_ scalar: Scalar) {
    try! self.init(shape: [], scalars: [scalar])
  }

  /// Builds an array of `shape` by letting `body` write all its elements.
  static func make<Scalar: TensorScalar>(
    _ type: Scalar.Type, shape: [Int], _ body: (UnsafeMutableBufferPointer<Scalar>) -> Void
  ) -> NDArray {
    let count = shape.reduce(1, *)
    let storage = TensorStorage(byteCount: count * Scalar.dtype.byteSize)
    let typed = storage.bytes.bindMemory(to: Scalar.self, capacity: max(count, 1))
    body(UnsafeMutableBufferPointer(start: typed, count: count))
    return NDArray(dtype: Scalar.dtype, shape: shape, storage: storage)
  }

  private static func checkShape(_ shape: [Int]) throws {
    if let bad = shape.first(where: { $0 < 0 }) {
      throw FrostError.invalidArgument(
        "NDArray: dimension \(bad) in shape \(shape) is negative")
    }
  }

  /// The elements in row-major order.
  ///
  /// - Throws: `FrostError.invalidArgument` when `Scalar` is not this array's element type.
  public func scalars<Scalar: TensorScalar>(as type: Scalar.Type) throws -> [Scalar] {
    guard Scalar.dtype == dtype else {
      throw FrostError.invalidArgument(
        "NDArray holds \(dtype) elements, not \(Scalar.dtype) (asked for \(Scalar.self))")
    }
    return withUnsafeBuffer(of: Scalar.self) { Array($0) }
  }

  /// The single element of a scalar or one-element array.
  ///
  /// - Throws: `FrostError.invalidArgument` for a wrong type or more than one element.
  public func scalar<Scalar: TensorScalar>(as type: Scalar.Type) throws -> Scalar {
    guard count == 1 else {
      throw FrostError.invalidArgument(
        "NDArray of shape \(describeShape(shape)) is not a single scalar")
    }
    return try scalars(as: type)[0]
  }

  /// Calls `body` with the elements, without copying them. `Scalar` must match `dtype`.
  func withUnsafeBuffer<Scalar: TensorScalar, R>(
    of type: Scalar.Type, _ body: (UnsafeBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    precondition(Scalar.dtype == dtype, "element type mismatch: \(dtype) read as \(Scalar.self)")
    let typed = rawPointer.assumingMemoryBound(to: Scalar.self)
    return try body(UnsafeBufferPointer(start: typed, count: count))
  }

  /// The same elements under another shape with the same element count.
  ///
  /// - Throws: `FrostError.invalidArgument` when the counts differ.
  public func reshaped(_ newShape: [Int]) throws -> NDArray {
    try Self.checkShape(newShape)
    guard newShape.reduce(1, *) == count else {
      throw FrostError.invalidArgument(
        "cannot reshape \(describeShape(shape)) (\(count) elements) to \(describeShape(newShape))")
    }
    return NDArray(dtype: dtype, shape: newShape, storage: storage, byteOffset: byteOffset)
  }

  /// The rows `range` of the first dimension, sharing this array's storage (no copy).
  ///
  /// - Throws: `FrostError.invalidArgument` for a scalar or a range outside `0..<shape[0]`.
  public func rows(_ range: Range<Int>) throws -> NDArray {
    guard let first = shape.first else {
      throw FrostError.invalidArgument("cannot slice rows of a scalar")
    }
    guard range.lowerBound >= 0, range.upperBound <= first else {
      throw FrostError.invalidArgument(
        "rows \(range) are outside 0..<\(first) of an array of shape \(describeShape(shape))")
    }
    let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
    var newShape = shape
    newShape[0] = range.count
    return NDArray(
      dtype: dtype, shape: newShape, storage: storage,
      byteOffset: byteOffset + range.lowerBound * rowBytes)
  }

  /// A copy that owns storage of exactly its own size (a row slice stops pinning the
  /// whole dataset it came from).
  public func compacted() -> NDArray {
    let copy = TensorStorage(byteCount: byteCount, zeroed: false)
    copy.bytes.copyMemory(from: rawPointer, byteCount: byteCount)
    return NDArray(dtype: dtype, shape: shape, storage: copy)
  }
}

extension NDArray: Equatable {
  /// Equal when dtype, shape and every element are equal (element comparison as in numpy's
  /// `array_equal`: a NaN is not equal to itself).
  public static func == (lhs: NDArray, rhs: NDArray) -> Bool {
    guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
    switch lhs.dtype {
    case .float32: return elementsEqual(lhs, rhs, Float.self)
    case .float64: return elementsEqual(lhs, rhs, Double.self)
    case .int32: return elementsEqual(lhs, rhs, Int32.self)
    case .bool: return elementsEqual(lhs, rhs, Bool.self)
    }
  }

  private static func elementsEqual<S: TensorScalar>(
    _ a: NDArray, _ b: NDArray, _ type: S.Type
  ) -> Bool {
    a.withUnsafeBuffer(of: S.self) { x in
      b.withUnsafeBuffer(of: S.self) { y in x.elementsEqual(y) }
    }
  }
}
