/// A JSON value (RFC 8259), as Frost reads and writes it in safetensors headers and graph files.
///
/// Numbers keep the form of their literal: an integer literal (no fraction, no exponent) that
/// fits an `Int` is `.int`, so shapes and byte offsets stay exact; any other number is
/// `.double`. Objects keep their members in the order they were written or built, so output
/// is deterministic; a key appears at most once in an object.
///
/// Equality is structural: `.int(1)` differs from `.double(1)`, and object members compare in
/// order.
enum JSONValue: Sendable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number written as an integer literal that fits an `Int`.
  case int(Int)
  /// Any other number: with a fraction or an exponent, or an integer too large for `Int`.
  /// Always finite.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object, its members in order. Keys are unique (compared by Unicode scalars).
  case object([(key: String, value: JSONValue)])

  /// The deepest nesting of arrays and objects the parser accepts; deeper documents are
  /// rejected before they can exhaust the stack.
  static let maximumDepth = 256

  /// The number nearest to `value` that prints with the fewest digits and still converts
  /// back to exactly `value` as a `Float`: `0.1` rather than `0.10000000149011612`.
  ///
  /// Read it back with `Float(json.doubleValue!)`.
  init(float value: Float) {
    if let short = Double(value.description), Float(short) == value {
      self = .double(short)
    } else {
      self = .double(Double(value))
    }
  }
}

// MARK: - Accessors

extension JSONValue {
  /// The value of the member `key` when this is an object that has one; `nil` otherwise.
  ///
  /// Keys compare by Unicode scalars, as JSON does (not by Swift's canonical equivalence).
  subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value
  }

  /// The element at `index` when this is an array and `index` is in range; `nil` otherwise.
  subscript(index: Int) -> JSONValue? {
    guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
    return elements[index]
  }

  /// The string, when this is a string.
  var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The integer, when this is a number written as an integer that fits an `Int`.
  /// `2.0` and `2e0` are doubles and give `nil`.
  var intValue: Int? {
    if case .int(let value) = self { return value }
    return nil
  }

  /// The number as a `Double` (an `.int` beyond 2^53 rounds to the nearest double).
  var doubleValue: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }

  /// The boolean, when this is `true` or `false`.
  var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The elements, when this is an array.
  var arrayValue: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The members in order, when this is an object.
  var objectValue: [(key: String, value: JSONValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// Whether this is `null`.
  var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// The JSON type's name, for error messages: `null`, `boolean`, `number`, `string`,
  /// `array` or `object`.
  var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .int, .double: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }

  /// The JSON type's name with its article, for error messages: `an array`, `a string`.
  var kindDescription: String {
    switch self {
    case .array, .object: "an \(kindName)"
    default: "a \(kindName)"
    }
  }
}

extension JSONValue: Equatable {
  /// Structural equality; doubles compare as `Double` does (`-0 == 0`, NaN never equal).
  static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.int(let a), .int(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count
        && zip(a, b).allSatisfy {
          $0.key.unicodeScalars.elementsEqual($1.key.unicodeScalars) && $0.value == $1.value
        }
    default: return false
    }
  }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  /// `.bool(value)`.
  init(booleanLiteral value: Bool) { self = .bool(value) }
  /// `.int(value)`.
  init(integerLiteral value: Int) { self = .int(value) }
  /// `.double(value)`.
  init(floatLiteral value: Double) { self = .double(value) }
  /// `.string(value)`.
  init(stringLiteral value: String) { self = .string(value) }
  /// `.array(elements)`.
  init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// `.object` with the members in the order written.
  init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(elements.map { (key: $0.0, value: $0.1) })
  }
}

// MARK: - Parsing

/// Why a JSON text was rejected, and where.
struct JSONParseError: Error, Equatable, CustomStringConvertible {
  /// The offset, in bytes from the start of the text, where the problem was found.
  let offset: Int
  /// What is wrong.
  let message: String

  /// `byte 12: expected ':' after an object key`.
  var description: String { "byte \(offset): \(message)" }
}

extension JSONValue {
  /// Parses a complete JSON text (UTF-8) strictly by RFC 8259.
  ///
  /// Rejected, with the byte offset of the problem: trailing commas, duplicate keys in an
  /// object (the error names the key), unescaped control characters in strings, invalid
  /// escapes and unpaired surrogates, invalid UTF-8, leading zeros, numbers beyond the range
  /// of `Double`, nesting deeper than `maximumDepth`, a byte-order mark, and anything but
  /// whitespace after the value.
  static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser(bytes: Array(bytes))
    return try parser.parseDocument()
  }

  /// Parses a complete JSON text; see `parse(_:)` for the bytes.
  static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  /// The offset of the first byte of `bytes` that does not belong to a well-formed UTF-8
  /// sequence (RFC 3629: no overlong forms, no surrogates, nothing beyond U+10FFFF), or
  /// `nil` when all of `bytes` is valid UTF-8.
  static func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int? {
    var index = 0
    while index < bytes.count {
      guard let length = utf8SequenceLength(bytes, at: index) else { return index }
      index += length
    }
    return nil
  }

  /// The length of the well-formed UTF-8 sequence starting at `index`, or `nil`.
  fileprivate static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
    let lead = bytes[index]
    if lead < 0x80 { return 1 }

    // The allowed range of the second byte depends on the lead byte; later bytes are always
    // continuation bytes 0x80...0xBF.
    let length: Int
    var second: ClosedRange<UInt8> = 0x80...0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0: (length, second) = (3, 0xA0...0xBF)
    case 0xED: (length, second) = (3, 0x80...0x9F)
    case 0xE1...0xEF: length = 3
    case 0xF0: (length, second) = (4, 0x90...0xBF)
    case 0xF1...0xF3: length = 4
    case 0xF4: (length, second) = (4, 0x80...0x8F)
    default: return nil
    }
    guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return nil }
    for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
      return nil
    }
    return length
  }
}

/// A recursive-descent parser over the bytes of one JSON text.
private struct JSONParser {
  let bytes: [UInt8]
  var position = 0

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  private var atEnd: Bool { position >= bytes.count }

  private var current: UInt8? { atEnd ? nil : bytes[position] }

  mutating func parseDocument() throws(JSONParseError) -> JSONValue {
    skipWhitespace()
    let value = try parseValue(depth: 0)
    skipWhitespace()
    guard atEnd else { throw unexpected("after the end of the JSON value") }
    return value
  }

  private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
    guard let byte = current else {
      throw JSONParseError(offset: position, message: "unexpected end of input, expected a value")
    }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw unexpected("where a value was expected")
    }
  }

  private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
    try checkDepth(depth)
    position += 1
    var members: [(key: String, value: JSONValue)] = []
    var seen = Set<[UInt8]>()
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return .object([])
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else {
        if current == UInt8(ascii: "}") {
          throw JSONParseError(offset: position, message: "trailing comma before '}'")
        }
        throw unexpected("where an object key (a string) was expected")
      }
      let keyOffset = position
      let key = try parseString()
      guard seen.insert(Array(key.utf8)).inserted else {
        throw JSONParseError(
          offset: keyOffset, message: "duplicate key \(JSONValue.quoted(key)) in object")
      }
      skipWhitespace()
      guard current == UInt8(ascii: ":") else {
        throw unexpected("where ':' was expected after the key \(JSONValue.quoted(key))")
      }
      position += 1
      skipWhitespace()
      members.append((key: key, value: try parseValue(depth: depth)))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "}"):
        position += 1
        return .object(members)
      default: throw unexpected("where ',' or '}' was expected in an object")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
    try checkDepth(depth)
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return .array([])
    }
    while true {
      skipWhitespace()
      if current == UInt8(ascii: "]") {
        throw JSONParseError(offset: position, message: "trailing comma before ']'")
      }
      elements.append(try parseValue(depth: depth))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "]"):
        position += 1
        return .array(elements)
      default: throw unexpected("where ',' or ']' was expected in an array")
      }
    }
  }

  private func checkDepth(_ depth: Int) throws(JSONParseError) {
    guard depth <= JSONValue.maximumDepth else {
      throw JSONParseError(
        offset: position,
        message: "arrays and objects nested deeper than \(JSONValue.maximumDepth) levels")
    }
  }

  private mutating func parseLiteral(
    _ word: String, _ value: JSONValue
  ) throws(JSONParseError) -> JSONValue {
    let end = position + word.utf8.count
    guard end <= bytes.count, bytes[position..<end].elementsEqual(word.utf8) else {
      throw JSONParseError(offset: position, message: "invalid literal, expected '\(word)'")
    }
    position = end
    return value
  }

  private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
    let start = position
    var isInteger = true
    if current == UInt8(ascii: "-") { position += 1 }

    // Integer part: a single 0, or digits not starting with 0.
    guard let first = current, isDigit(first) else {
      throw unexpected("where a digit was expected in a number")
    }
    position += 1
    if first == UInt8(ascii: "0") {
      if let next = current, isDigit(next) {
        throw JSONParseError(offset: start, message: "number with a leading zero")
      }
    } else {
      skipDigits()
    }

    if current == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      try requireDigit(after: "the decimal point")
      skipDigits()
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      isInteger = false
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      try requireDigit(after: "the exponent marker")
      skipDigits()
    }

    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let value = Int(text) { return .int(value) }
    guard let value = Double(text), value.isFinite else {
      throw JSONParseError(offset: start, message: "number \(text) is beyond the range of Double")
    }
    return .double(value)
  }

  private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private mutating func skipDigits() {
    while let byte = current, isDigit(byte) { position += 1 }
  }

  private func requireDigit(after what: String) throws(JSONParseError) {
    guard let byte = current, isDigit(byte) else {
      throw unexpected("where a digit was expected after \(what)")
    }
  }

  private mutating func parseString() throws(JSONParseError) -> String {
    let start = position
    position += 1
    var utf8: [UInt8] = []
    var segmentStart = position
    while true {
      guard let byte = current else {
        throw JSONParseError(offset: start, message: "unterminated string")
      }
      switch byte {
      case UInt8(ascii: "\""):
        utf8.append(contentsOf: bytes[segmentStart..<position])
        position += 1
        return String(decoding: utf8, as: UTF8.self)
      case UInt8(ascii: "\\"):
        utf8.append(contentsOf: bytes[segmentStart..<position])
        let scalar = try parseEscape()
        UTF8.encode(scalar) { utf8.append($0) }
        segmentStart = position
      case 0..<0x20:
        throw JSONParseError(
          offset: position,
          message: "control character \(hexByte(byte)) in a string must be escaped")
      case 0x80...:
        guard let length = JSONValue.utf8SequenceLength(bytes, at: position) else {
          throw JSONParseError(offset: position, message: "invalid UTF-8 in a string")
        }
        position += length
      default:
        position += 1
      }
    }
  }

  /// Parses the escape sequence at `position` (the backslash) and returns its scalar.
  private mutating func parseEscape() throws(JSONParseError) -> Unicode.Scalar {
    let start = position
    position += 1
    guard let byte = current else {
      throw JSONParseError(offset: start, message: "unterminated string")
    }
    position += 1
    switch byte {
    case UInt8(ascii: "\""): return "\""
    case UInt8(ascii: "\\"): return "\\"
    case UInt8(ascii: "/"): return "/"
    case UInt8(ascii: "b"): return "\u{08}"
    case UInt8(ascii: "f"): return "\u{0C}"
    case UInt8(ascii: "n"): return "\n"
    case UInt8(ascii: "r"): return "\r"
    case UInt8(ascii: "t"): return "\t"
    case UInt8(ascii: "u"): break
    default:
      throw JSONParseError(offset: start, message: "invalid escape \\\(describeCharacter(byte))")
    }

    let unit = try parseHex4(escapeStart: start)
    switch unit {
    case 0xD800...0xDBFF:
      let lowStart = position
      guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      else {
        throw JSONParseError(offset: start, message: "unpaired surrogate \(escapeText(unit))")
      }
      position += 2
      let low = try parseHex4(escapeStart: lowStart)
      guard (0xDC00...0xDFFF).contains(low) else {
        throw JSONParseError(
          offset: start,
          message: "surrogate \(escapeText(unit)) followed by \(escapeText(low)), not a low one")
      }
      let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
      return Unicode.Scalar(value)!
    case 0xDC00...0xDFFF:
      throw JSONParseError(offset: start, message: "unpaired surrogate \(escapeText(unit))")
    default:
      return Unicode.Scalar(unit)!
    }
  }

  private mutating func parseHex4(escapeStart: Int) throws(JSONParseError) -> UInt16 {
    var value: UInt16 = 0
    for _ in 0..<4 {
      guard let byte = current, let digit = hexValue(byte) else {
        throw JSONParseError(
          offset: escapeStart, message: "invalid \\u escape: expected 4 hexadecimal digits")
      }
      value = value << 4 | UInt16(digit)
      position += 1
    }
    return value
  }

  private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  private mutating func skipWhitespace() {
    while let byte = current,
      byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    {
      position += 1
    }
  }

  /// An error for the byte at `position` (or the end of input), placed by `context`.
  private func unexpected(_ context: String) -> JSONParseError {
    guard let byte = current else {
      return JSONParseError(offset: position, message: "unexpected end of input \(context)")
    }
    return JSONParseError(
      offset: position, message: "unexpected \(describeCharacter(byte)) \(context)")
  }

  private func describeCharacter(_ byte: UInt8) -> String {
    (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : hexByte(byte)
  }

  private func hexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "byte 0x" + (digits.count == 1 ? "0" + digits : digits)
  }

  private func escapeText(_ unit: UInt16) -> String {
    let digits = String(unit, radix: 16, uppercase: true)
    return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
  }
}

// MARK: - Serialization

extension JSONValue {
  /// The JSON text of this value, deterministic: object members in their order, no
  /// whitespace unless `pretty`, in which case each element and member goes on its own line
  /// indented by two spaces per level (empty arrays and objects stay `[]` and `{}`).
  ///
  /// Strings are written as UTF-8, escaping only `"`, `\` and control characters. Doubles
  /// use the shortest text that parses back to the same `Double` (`0.1`, `1e-07`, `2.0`);
  /// integral doubles keep a `.0`, so parsing the output gives back `.double`, not `.int`.
  ///
  /// - Precondition: every double is finite and no object repeats a key; JSON cannot
  ///   express the one and a strict reader rejects the other.
  func serialized(pretty: Bool = false) -> String {
    var out = ""
    write(to: &out, pretty: pretty, level: 0)
    return out
  }

  private func write(to out: inout String, pretty: Bool, level: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .int(let value): out += String(value)
    case .double(let value):
      precondition(value.isFinite, "JSON cannot represent the number \(value)")
      out += value.description
    case .string(let value): out += JSONValue.quoted(value)
    case .array(let elements):
      writeContainer(elements, open: "[", close: "]", to: &out, pretty: pretty, level: level) {
        element, out in element.write(to: &out, pretty: pretty, level: level + 1)
      }
    case .object(let members):
      var seen = Set<[UInt8]>()
      writeContainer(members, open: "{", close: "}", to: &out, pretty: pretty, level: level) {
        member, out in
        precondition(
          seen.insert(Array(member.key.utf8)).inserted,
          "JSON object has the key \(JSONValue.quoted(member.key)) twice")
        out += JSONValue.quoted(member.key)
        out += pretty ? ": " : ":"
        member.value.write(to: &out, pretty: pretty, level: level + 1)
      }
    }
  }

  private func writeContainer<Element>(
    _ items: [Element], open: String, close: String, to out: inout String, pretty: Bool,
    level: Int, writeItem: (Element, inout String) -> Void
  ) {
    out += open
    guard !items.isEmpty else {
      out += close
      return
    }
    for (position, item) in items.enumerated() {
      if position > 0 { out += "," }
      if pretty { out += "\n" + String(repeating: "  ", count: level + 1) }
      writeItem(item, &out)
    }
    if pretty { out += "\n" + String(repeating: "  ", count: level) }
    out += close
  }

  /// `text` as a JSON string literal, quotes included.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case "\u{00}"..."\u{1F}":
        let digits = String(scalar.value, radix: 16)
        out += "\\u00" + (digits.count == 1 ? "0" + digits : digits)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
