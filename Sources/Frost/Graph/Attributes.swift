/// The value of one attribute of a node: the static arguments of an op (axes, flags, the
/// value of a constant), as opposed to its tensor inputs.
public enum AttributeValue: Equatable, Sendable, CustomStringConvertible {
  /// An integer.
  case int(Int)
  /// A floating-point number.
  case double(Double)
  /// A flag.
  case bool(Bool)
  /// A string.
  case string(String)
  /// A list of integers (axes, a permutation, a shape with -1).
  case ints([Int])
  /// A list of floating-point numbers.
  case doubles([Double])
  /// A static, possibly partial, shape.
  case shape(Shape)
  /// An element type.
  case dtype(DType)
  /// A concrete value (a constant's value).
  case array(NDArray)

  /// A short rendering for dumps and messages; arrays print their shape, not their values.
  public var description: String {
    switch self {
    case .int(let v): "\(v)"
    case .double(let v): "\(v)"
    case .bool(let v): "\(v)"
    case .string(let v): "\"\(v)\""
    case .ints(let v): "\(v)"
    case .doubles(let v): "\(v)"
    case .shape(let v): "\(v)"
    case .dtype(let v): "\(v)"
    case .array(let v): "<\(v.dtype) \(describeShape(v.shape))>"
    }
  }
}

/// Typed access to a node's attributes, for shape functions and kernels. A missing or
/// mistyped attribute is an engine bug (the op's builder sets them), hence preconditions.
struct Attributes: Sendable {
  var values: [String: AttributeValue]
  let owner: String

  init(_ values: [String: AttributeValue], owner: String) {
    self.values = values
    self.owner = owner
  }

  func int(_ key: String) -> Int {
    guard case .int(let v) = values[key] else { missing(key, "int") }
    return v
  }

  func double(_ key: String) -> Double {
    guard case .double(let v) = values[key] else { missing(key, "double") }
    return v
  }

  func bool(_ key: String) -> Bool {
    guard case .bool(let v) = values[key] else { missing(key, "bool") }
    return v
  }

  func string(_ key: String) -> String {
    guard case .string(let v) = values[key] else { missing(key, "string") }
    return v
  }

  func ints(_ key: String) -> [Int] {
    guard case .ints(let v) = values[key] else { missing(key, "ints") }
    return v
  }

  func optionalInts(_ key: String) -> [Int]? {
    guard let value = values[key] else { return nil }
    guard case .ints(let v) = value else { missing(key, "ints") }
    return v
  }

  func shape(_ key: String) -> Shape {
    guard case .shape(let v) = values[key] else { missing(key, "shape") }
    return v
  }

  func dtype(_ key: String) -> DType {
    guard case .dtype(let v) = values[key] else { missing(key, "dtype") }
    return v
  }

  func array(_ key: String) -> NDArray {
    guard case .array(let v) = values[key] else { missing(key, "array") }
    return v
  }

  private func missing(_ key: String, _ kind: String) -> Never {
    preconditionFailure("\(owner): attribute '\(key)' is missing or not \(kind)")
  }
}
