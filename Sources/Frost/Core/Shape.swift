/// A static shape, as known while a graph is built: a rank that may be unknown, and
/// dimensions that may each be unknown (`nil`).
///
/// `[nil, 784]` is a batch of 784-wide rows of any length; `Shape.unknown` knows nothing.
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
  /// The dimensions, or `nil` when even the rank is unknown.
  public var dims: [Int?]?

  /// A shape with the given dimensions, `nil` standing for an unknown size.
  public init(_ dims: [Int?]) {
    self.dims = dims
  }

  /// A fully known shape.
  public init(_ dims: [Int]) {
    self.dims = dims.map { $0 }
  }

  /// A shape with the given dimensions, `nil` standing for an unknown size.
  public init(arrayLiteral elements: Int?...) {
    self.dims = elements
  }

  private init(unknownRank: Void) {
    self.dims = nil
  }

  /// The shape of unknown rank.
  public static let unknown = Shape(unknownRank: ())

  /// The shape of a scalar (rank 0).
  public static let scalar = Shape([Int?]())

  /// The rank, when known.
  public var rank: Int? { dims?.count }

  /// Whether rank and every dimension are known.
  public var isFullyDefined: Bool {
    guard let dims else { return false }
    return dims.allSatisfy { $0 != nil }
  }

  /// The dimensions when the shape is fully defined.
  public var concrete: [Int]? {
    guard let dims, dims.allSatisfy({ $0 != nil }) else { return nil }
    return dims.map { $0! }
  }

  /// The number of elements, when the shape is fully defined.
  public var elementCount: Int? { concrete.map { $0.reduce(1, *) } }

  /// Whether a concrete shape fits this one: same rank, and equal wherever this is known.
  public func accepts(_ concrete: [Int]) -> Bool {
    guard let dims else { return true }
    guard dims.count == concrete.count else { return false }
    return zip(dims, concrete).allSatisfy { $0 == nil || $0 == $1 }
  }

  /// Whether two shapes could describe the same concrete shape.
  public func isCompatible(with other: Shape) -> Bool {
    guard let a = dims, let b = other.dims else { return true }
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { $0 == nil || $1 == nil || $0 == $1 }
  }

  /// The most specific shape compatible with both, or `nil` when they contradict.
  public func merged(with other: Shape) -> Shape? {
    guard let a = dims else { return other }
    guard let b = other.dims else { return self }
    guard a.count == b.count else { return nil }
    var out: [Int?] = []
    for (x, y) in zip(a, b) {
      if let x, let y, x != y { return nil }
      out.append(x ?? y)
    }
    return Shape(out)
  }

  /// Numpy style: `(?, 784)`, `()`, `<unknown>`.
  public var description: String {
    guard let dims else { return "<unknown>" }
    let parts = dims.map { $0.map(String.init) ?? "?" }
    return parts.count == 1 ? "(\(parts[0]),)" : "(\(parts.joined(separator: ", ")))"
  }
}

/// Formats a concrete shape as `Shape` does.
func describeShape(_ dims: [Int]) -> String { Shape(dims).description }
