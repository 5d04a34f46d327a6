extension NDArray: CustomStringConvertible, CustomDebugStringConvertible {
  /// The elements laid out like numpy prints them: nested brackets, columns aligned,
  /// and `...` in place of the middle of any dimension once the array has more than
  /// 1,000 elements.
  public var description: String {
    let summarize = count > 1_000
    let texts = elementTexts()
    let width = texts.map(\.count).max() ?? 0
    if shape.isEmpty { return texts.first ?? "" }
    var out = ""
    format(
      level: 0, offset: 0, texts: texts, width: width, summarize: summarize, into: &out)
    return out
  }

  /// The description followed by the shape and dtype.
  public var debugDescription: String {
    "NDArray(\(description), shape: \(describeShape(shape)), dtype: \(dtype))"
  }

  private func elementTexts() -> [String] {
    switch dtype {
    case .float32:
      return Self.floatTexts(withUnsafeBuffer(of: Float.self) { $0.map(Double.init) })
    case .float64:
      return Self.floatTexts(withUnsafeBuffer(of: Double.self) { Array($0) })
    case .int32:
      return withUnsafeBuffer(of: Int32.self) { $0.map { String($0) } }
    case .bool:
      return withUnsafeBuffer(of: Bool.self) { $0.map { $0 ? "True" : "False" } }
    }
  }

  /// Numpy prints integral floats as `1.`, others with their shortest exact digits, and
  /// pads every element so that the decimal points line up.
  private static func floatTexts(_ values: [Double]) -> [String] {
    let parts: [(whole: String, fraction: String?)] = values.map { value in
      if value.isNaN { return ("nan", nil) }
      if value.isInfinite { return (value < 0 ? "-inf" : "inf", nil) }
      if value == value.rounded(), abs(value) < 1e16 { return ("\(Int64(value))", "") }
      let text = "\(value)"
      guard !text.contains("e"), let dot = text.firstIndex(of: ".") else { return (text, nil) }
      return (String(text[..<dot]), String(text[text.index(after: dot)...]))
    }
    let fractionWidth = parts.compactMap { $0.fraction?.count }.max() ?? 0
    return parts.map { part in
      guard let fraction = part.fraction else { return part.whole }
      let padding = String(repeating: " ", count: fractionWidth - fraction.count)
      return part.whole + "." + fraction + padding
    }
  }

  private func format(
    level: Int, offset: Int, texts: [String], width: Int, summarize: Bool, into out: inout String
  ) {
    let dim = shape[level]
    let stride = shape[(level + 1)...].reduce(1, *)
    let indices: [Int?] =
      summarize && dim > 6 ? Array(0..<3) + [nil] + Array((dim - 3)..<dim) : Array(0..<dim)
    out += "["
    for (position, index) in indices.enumerated() {
      if position > 0 {
        if level == shape.count - 1 {
          out += " "
        } else {
          out += String(repeating: "\n", count: shape.count - 1 - level)
          out += String(repeating: " ", count: level + 1)
        }
      }
      guard let index else {
        out += "..."
        continue
      }
      if level == shape.count - 1 {
        let text = texts[offset + index]
        out += String(repeating: " ", count: width - text.count) + text
      } else {
        format(
          level: level + 1, offset: offset + index * stride, texts: texts, width: width,
          summarize: summarize, into: &out)
      }
    }
    out += "]"
  }
}
