import Testing

@testable import Frost

/// Parses `text`, failing the test (at the caller's line) when it is rejected.
private func parse(
  _ text: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> JSONValue {
  do {
    return try JSONValue.parse(text)
  } catch {
    Issue.record("rejected \(text.debugDescription): \(error)", sourceLocation: sourceLocation)
    throw error
  }
}

/// Expects `bytes` to be rejected at `offset` with a message containing `message`.
private func expectRejected(
  _ bytes: [UInt8], at offset: Int, _ message: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    let value = try JSONValue.parse(bytes)
    Issue.record("accepted as \(value)", sourceLocation: sourceLocation)
  } catch {
    #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
  }
}

private func expectRejected(
  _ text: String, at offset: Int, _ message: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  expectRejected(Array(text.utf8), at: offset, message, sourceLocation: sourceLocation)
}

@Suite("JSON parsing")
struct JSONParsingTests {
  @Test func parsesScalars() throws {
    #expect(try parse("null") == .null)
    #expect(try parse("true") == .bool(true))
    #expect(try parse(" false\n") == .bool(false))
    #expect(try parse("\"hi\"") == .string("hi"))
    #expect(try parse("0") == .int(0))
    #expect(try parse("-17") == .int(-17))
    #expect(try parse("2.5") == .double(2.5))
    #expect(try parse("-0.0") == .double(-0.0))
    #expect(try parse("1E3") == .double(1000))
    #expect(try parse("1e-2") == .double(0.01))
    #expect(try parse("2e+2") == .double(200))
  }

  @Test func keepsIntegersExactAndFallsBackToDouble() throws {
    #expect(try parse("9223372036854775807") == .int(Int.max))
    #expect(try parse("-9223372036854775808") == .int(Int.min))
    #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    #expect(try parse("2.0") == .double(2))
    #expect(try parse("2.0").intValue == nil)
    #expect(try parse("123456789012345678").intValue == 123_456_789_012_345_678)
    #expect(try parse("1e-400") == .double(0))
  }

  @Test func parsesContainersInOrder() throws {
    let value = try parse(#" { "b" : [1, {"x": null}, []], "a": {} } "#)
    #expect(value.objectValue?.map(\.key) == ["b", "a"])
    #expect(value == ["b": [1, ["x": .null], []], "a": [:]])
    #expect(value != ["a": [:], "b": [1, ["x": .null], []]])
    #expect(try parse("[]") == [])
    #expect(try parse("[ ]") == [])
    #expect(try parse("{\t}") == [:])
  }

  @Test func decodesEscapesAndUnicode() throws {
    let text = #""\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00 \u0000""#
    let expected = "\" \\ / \u{08} \u{0C} \n \r \t A é € 😀 \u{00}"
    #expect(try parse(text).stringValue == expected)
    #expect(try parse("\"é€😀\"").stringValue == "é€😀")
    #expect(try parse("\"\u{7F}\"").stringValue == "\u{7F}")
  }

  @Test func keysDifferingOnlyInNormalizationAreDistinct() throws {
    // "é" precomposed and decomposed are equal Swift strings but distinct JSON keys.
    let value = try parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
    #expect(value.objectValue?.count == 2)
    #expect(value["\u{E9}"] == .int(1))
    #expect(value["e\u{301}"] == .int(2))
  }

  @Test func acceptsNestingUpToTheLimit() throws {
    let depth = JSONValue.maximumDepth
    let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    var value = try parse(text)
    for _ in 1..<depth { value = try #require(value[0]) }
    #expect(value == [])
  }

  @Test func rejectsNestingBeyondTheLimit() {
    let depth = JSONValue.maximumDepth + 1
    let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    expectRejected(text, at: depth - 1, "nested deeper than 256")
    let objects =
      String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
    expectRejected(objects, at: 5 * (depth - 1), "nested deeper than 256")
  }

  @Test func rejectsTrailingCommas() {
    expectRejected("[1,]", at: 3, "trailing comma before ']'")
    expectRejected("[1, ]", at: 4, "trailing comma before ']'")
    expectRejected(#"{"a":1,}"#, at: 7, "trailing comma before '}'")
    expectRejected("[,1]", at: 1, "unexpected ','")
    expectRejected("[1,,2]", at: 3, "unexpected ','")
  }

  @Test func rejectsDuplicateKeysNamingThem() {
    expectRejected(#"{"w": 1, "b": 2, "w": 3}"#, at: 17, #"duplicate key "w""#)
    expectRejected(#"{"x": {"k": 1, "k": 1}}"#, at: 15, #"duplicate key "k""#)
    expectRejected(#"{"a\u0062": 1, "ab": 2}"#, at: 15, #"duplicate key "ab""#)
  }

  @Test func rejectsBadStrings() {
    expectRejected("\"a\u{01}b\"", at: 2, "control character byte 0x01")
    expectRejected("\"tab\there\"", at: 4, "control character byte 0x09")
    expectRejected("\"line\nbreak\"", at: 5, "must be escaped")
    expectRejected(#""\x""#, at: 1, #"invalid escape \'x'"#)
    expectRejected(#""\u12G4""#, at: 1, "expected 4 hexadecimal digits")
    expectRejected(#""\u12""#, at: 1, "expected 4 hexadecimal digits")
    expectRejected(#""\ud83d""#, at: 1, #"unpaired surrogate \uD83D"#)
    expectRejected(#""\ud83dx""#, at: 1, #"unpaired surrogate \uD83D"#)
    expectRejected(#""\ude00""#, at: 1, #"unpaired surrogate \uDE00"#)
    expectRejected(#""\ud83d\u0041""#, at: 1, #"followed by \u0041, not a low one"#)
    expectRejected(#""abc"#, at: 0, "unterminated string")
    expectRejected(#""abc\"#, at: 4, "unterminated string")
  }

  @Test func rejectsInvalidUTF8() {
    let quote = UInt8(ascii: "\"")
    for bad: [UInt8] in [
      [0xFF], [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
      [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
      [0xC3], [0xE2, 0x82], [0xC3, 0x41],
    ] {
      expectRejected([quote, 0x61] + bad + [quote], at: 2, "invalid UTF-8")
    }
    #expect(JSONValue.firstInvalidUTF8Offset(in: Array("aé€😀".utf8)) == nil)
    #expect(JSONValue.firstInvalidUTF8Offset(in: [0x61, 0x62, 0xED, 0xBF, 0xBF]) == 2)
    expectRejected([0xEF, 0xBB, 0xBF] + Array("{}".utf8), at: 0, "unexpected byte 0xEF")
  }

  @Test func rejectsBadNumbers() {
    expectRejected("01", at: 0, "leading zero")
    expectRejected("-01", at: 0, "leading zero")
    expectRejected("-", at: 1, "unexpected end of input where a digit was expected")
    expectRejected("-a", at: 1, "unexpected 'a' where a digit was expected")
    expectRejected("+1", at: 0, "unexpected '+'")
    expectRejected(".5", at: 0, "unexpected '.'")
    expectRejected("1.", at: 2, "digit was expected after the decimal point")
    expectRejected("1.e3", at: 2, "digit was expected after the decimal point")
    expectRejected("1e", at: 2, "digit was expected after the exponent marker")
    expectRejected("1e+", at: 3, "digit was expected after the exponent marker")
    expectRejected("1e400", at: 0, "number 1e400 is beyond the range of Double")
    expectRejected("-1e400", at: 0, "beyond the range of Double")
    expectRejected("NaN", at: 0, "unexpected 'N'")
    expectRejected("Infinity", at: 0, "unexpected 'I'")
    expectRejected("0x10", at: 1, "unexpected 'x' after the end")
  }

  @Test func rejectsBadLiteralsAndStructure() {
    expectRejected("", at: 0, "unexpected end of input, expected a value")
    expectRejected("   ", at: 3, "unexpected end of input")
    expectRejected("tru", at: 0, "invalid literal, expected 'true'")
    expectRejected("nul", at: 0, "expected 'null'")
    expectRejected("True", at: 0, "unexpected 'T'")
    expectRejected("falsey", at: 5, "unexpected 'y' after the end of the JSON value")
    expectRejected("{} {}", at: 3, "after the end of the JSON value")
    expectRejected("[1 2]", at: 3, "where ',' or ']' was expected")
    expectRejected("[1", at: 2, "unexpected end of input where ',' or ']'")
    expectRejected(#"{"a" 1}"#, at: 5, #"where ':' was expected after the key "a""#)
    expectRejected(#"{"a":1 "b":2}"#, at: 7, "where ',' or '}' was expected")
    expectRejected("{a:1}", at: 1, "where an object key (a string) was expected")
    expectRejected("{1:1}", at: 1, "object key")
    expectRejected(#"{"a":}"#, at: 5, "unexpected '}' where a value was expected")
    expectRejected("[1]\u{0B}", at: 3, "unexpected byte 0x0B")
    expectRejected("\u{0C}1", at: 0, "unexpected byte 0x0C")
  }

  @Test func errorDescriptionGivesTheOffset() {
    let error = JSONParseError(offset: 12, message: "boom")
    #expect(error.description == "byte 12: boom")
  }
}

@Suite("JSON accessors and serialization")
struct JSONSerializationTests {
  @Test func accessorsReturnValuesOfTheirKindOnly() {
    let value: JSONValue = [
      "s": "text", "i": 3, "d": 1.5, "b": true, "n": .null, "a": [1, 2], "o": ["k": "v"],
    ]
    #expect(value["s"]?.stringValue == "text")
    #expect(value["i"]?.intValue == 3)
    #expect(value["i"]?.doubleValue == 3)
    #expect(value["d"]?.doubleValue == 1.5)
    #expect(value["d"]?.intValue == nil)
    #expect(value["b"]?.boolValue == true)
    #expect(value["n"]?.isNull == true)
    #expect(value["s"]?.isNull == false)
    #expect(value["a"]?[1]?.intValue == 2)
    #expect(value["a"]?[2] == nil)
    #expect(value["a"]?[-1] == nil)
    #expect(value["a"]?.arrayValue?.count == 2)
    #expect(value["o"]?["k"]?.stringValue == "v")
    #expect(value["o"]?.objectValue?.first?.key == "k")
    #expect(value["missing"] == nil)
    #expect(value["s"]?["k"] == nil)
    #expect(value[0] == nil)
    #expect(value["s"]?.intValue == nil)
    #expect(value["i"]?.stringValue == nil)
    #expect(value["i"]?.boolValue == nil)
    #expect(value["s"]?.arrayValue == nil)
    #expect(value["s"]?.objectValue == nil)
    #expect(value["s"]?.doubleValue == nil)
    let kinds = ["n", "b", "i", "d", "s", "a", "o"].compactMap { value[$0]?.kindName }
    #expect(kinds == ["null", "boolean", "number", "number", "string", "array", "object"])
  }

  @Test func equalityIsStructural() {
    #expect(JSONValue.int(1) != .double(1))
    #expect(JSONValue.double(0) == .double(-0.0))
    #expect(JSONValue.double(.nan) != .double(.nan))
    #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
    #expect(JSONValue(dictionaryLiteral: ("a", 1)) != ["a": 1, "b": 2])
    #expect(["a": 1] as JSONValue != ["b": 1])
    #expect(JSONValue.null != .bool(false))
  }

  @Test func serializesCompactly() {
    let value: JSONValue = [
      "name": "w", "shape": [2, -3], "ok": true, "none": .null, "x": 0.5, "e": [], "o": [:],
    ]
    #expect(
      value.serialized()
        == #"{"name":"w","shape":[2,-3],"ok":true,"none":null,"x":0.5,"e":[],"o":{}}"#)
    #expect(JSONValue.int(Int.min).serialized() == "-9223372036854775808")
  }

  @Test func prettyPrintsWithTwoSpaces() {
    let value: JSONValue = ["a": [1, ["b": .null]], "c": [], "d": [:], "e": "x"]
    let expected = """
      {
        "a": [
          1,
          {
            "b": null
          }
        ],
        "c": [],
        "d": {},
        "e": "x"
      }
      """
    #expect(value.serialized(pretty: true) == expected)
    #expect(JSONValue.array([]).serialized(pretty: true) == "[]")
    #expect(JSONValue.int(3).serialized(pretty: true) == "3")
  }

  @Test func printsDoublesShortestAndExact() throws {
    let cases: [(Double, String)] = [
      (0.1, "0.1"), (2, "2.0"), (-0.0, "-0.0"), (1e-7, "1e-07"), (1e300, "1e+300"),
      (123456.789, "123456.789"), (Double(bitPattern: 1), "5e-324"),
      (.greatestFiniteMagnitude, "1.7976931348623157e+308"), (1.0 / 3, "0.3333333333333333"),
    ]
    for (value, text) in cases {
      #expect(JSONValue.double(value).serialized() == text)
      let back = try JSONValue.parse(text)
      #expect(back.doubleValue?.bitPattern == value.bitPattern, "\(text)")
      #expect(back.intValue == nil, "\(text) must stay a double")
    }
  }

  @Test func floatsPrintWithFloatDigits() throws {
    let values: [Float] = [
      0.1, 1, -2.5, .greatestFiniteMagnitude, Float(bitPattern: 1), .leastNormalMagnitude,
      16_777_216, 0.3, Float(bitPattern: 0x3F80_0001),
    ]
    for value in values {
      let json = JSONValue(float: value)
      let back = try JSONValue.parse(json.serialized())
      #expect(Float(try #require(back.doubleValue)) == value)
    }
    #expect(JSONValue(float: 0.1).serialized() == "0.1")
    #expect(JSONValue(float: 3).serialized() == "3.0")
  }

  @Test func escapesStrings() throws {
    let text = "q\" b\\ s/ \u{08}\u{0C}\n\r\t \u{01}\u{1F} \u{7F} é 😀 \u{2028}"
    let json = JSONValue.string(text).serialized()
    #expect(json == #""q\" b\\ s/ \b\f\n\r\t \u0001\u001f "# + "\u{7F} é 😀 \u{2028}\"")
    #expect(try JSONValue.parse(json).stringValue == text)
    #expect(JSONValue.quoted("\u{00}") == #""\u0000""#)
  }

  @Test func roundTripsThroughText() throws {
    let value: JSONValue = [
      "graph": ["nodes": [["name": "x", "op": "Placeholder", "shape": [.null, 784]]]],
      "doubles": [0.1, -2.0, 1e-300, 6.02214076e23],
      "ints": [0, -1, .int(Int.max), .int(Int.min)],
      "strings": ["", "é", "\u{0}", "\\\""],
      "flags": [true, false],
      "\u{E9}": 1, "e\u{301}": 2,
    ]
    #expect(try JSONValue.parse(value.serialized()) == value)
    #expect(try JSONValue.parse(value.serialized(pretty: true)) == value)
  }

  @Test func nonFiniteNumbersAreAPreconditionFailure() async {
    await #expect(processExitsWith: .failure) {
      _ = JSONValue.array([.double(.infinity)]).serialized()
    }
  }

  @Test func duplicateKeysAreAPreconditionFailure() async {
    await #expect(processExitsWith: .failure) {
      _ = JSONValue.object([(key: "a", value: 1), (key: "a", value: 2)]).serialized()
    }
  }
}
