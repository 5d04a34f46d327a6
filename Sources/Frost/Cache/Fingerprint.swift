/// A 128-bit fingerprint of bytes, fast enough to hash a whole dataset (several GB/s):
/// four independent multiply-rotate lanes over 64-bit words, mixed at the end. It detects
/// changed data; it is not a cryptographic hash.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
  /// The two 64-bit halves.
  public let high: UInt64
  /// The two 64-bit halves.
  public let low: UInt64

  /// The fingerprint of an array: its dtype, shape and elements.
  public init(_ array: NDArray) {
    var hasher = FingerprintHasher()
    hasher.combine(text: array.dtype.rawValue)
    for dim in array.shape { hasher.combine(UInt64(dim)) }
    hasher.combine(bytes: UnsafeRawBufferPointer(start: array.rawPointer, count: array.byteCount))
    self = hasher.finish()
  }

  init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// 32 hexadecimal digits.
  public var description: String {
    let digits = { (value: UInt64) in
      let text = String(value, radix: 16)
      return String(repeating: "0", count: 16 - text.count) + text
    }
    return digits(high) + digits(low)
  }

  /// Parses 32 hexadecimal digits.
  public init?(_ text: String) {
    guard text.count == 32, let high = UInt64(text.prefix(16), radix: 16),
      let low = UInt64(text.suffix(16), radix: 16)
    else { return nil }
    self.init(high: high, low: low)
  }
}

struct FingerprintHasher {
  private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
    0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x85EB_CA77_C2B2_AE63
  )
  private var length: UInt64 = 0

  private static let prime: UInt64 = 0x9FB2_1C65_1E98_DF25

  private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
    var x = lane ^ word
    x = x &* prime
    return (x << 31) | (x >> 33)
  }

  mutating func combine(_ word: UInt64) {
    lanes.0 = Self.round(lanes.0, word)
    length &+= 8
  }

  mutating func combine(text: String) {
    for byte in text.utf8 { combine(UInt64(byte)) }
  }

  mutating func combine(_ other: Fingerprint) {
    combine(other.high)
    combine(other.low)
  }

  mutating func combine(bytes: UnsafeRawBufferPointer) {
    let count = bytes.count
    let words = count / 8
    var (a, b, c, d) = lanes
    if let base = bytes.baseAddress {
      var i = 0
      while i + 4 <= words {
        a = Self.round(a, base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        b = Self.round(b, base.loadUnaligned(fromByteOffset: i * 8 + 8, as: UInt64.self))
        c = Self.round(c, base.loadUnaligned(fromByteOffset: i * 8 + 16, as: UInt64.self))
        d = Self.round(d, base.loadUnaligned(fromByteOffset: i * 8 + 24, as: UInt64.self))
        i += 4
      }
      while i < words {
        a = Self.round(a, base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        i += 1
      }
      var tail: UInt64 = 0
      for j in (words * 8)..<count {
        tail = tail << 8 | UInt64(base.load(fromByteOffset: j, as: UInt8.self))
      }
      b = Self.round(b, tail)
    }
    lanes = (a, b, c, d)
    length &+= UInt64(count)
  }

  func finish() -> Fingerprint {
    var high = lanes.0 ^ (lanes.1 &* 3) ^ length
    var low = lanes.2 ^ (lanes.3 &* 5) ^ (length << 1)
    for _ in 0..<2 {
      high = Self.round(high, low)
      low = Self.round(low, high ^ 0xA5A5_A5A5_A5A5_A5A5)
    }
    return Fingerprint(high: high, low: low)
  }
}
