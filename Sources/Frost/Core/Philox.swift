import Foundation

/// Philox4x32-10, the counter-based generator TensorFlow's random ops are built on
/// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
///
/// The stream is a pure function of the 64-bit key and the 128-bit counter, so a seeded
/// op gives the same numbers on every machine and in every session. Frost uses the same
/// algorithm as TensorFlow but not its exact stream layout: seeds reproduce Frost runs,
/// not TensorFlow ones.
public struct PhiloxRandom: RandomNumberGenerator, Sendable {
  private var key: (UInt32, UInt32)
  private var counter: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
  private var block: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
  private var used = 4

  /// A generator keyed by two seeds (TensorFlow's graph-level and op-level seeds).
  public init(seed: UInt64, seed2: UInt64 = 0) {
    let mixed = seed ^ (seed2 &* 0x9E37_79B9_7F4A_7C15)
    key = (UInt32(truncatingIfNeeded: mixed), UInt32(truncatingIfNeeded: mixed >> 32))
    counter.2 = UInt32(truncatingIfNeeded: seed2)
    counter.3 = UInt32(truncatingIfNeeded: seed2 >> 32)
  }

  /// Skips `blocks` blocks of four 32-bit outputs, so that successive runs of one op
  /// draw disjoint parts of its stream.
  public mutating func skip(blocks: UInt64) {
    let low = UInt64(counter.0) | UInt64(counter.1) << 32
    let (sum, carry) = low.addingReportingOverflow(blocks)
    counter.0 = UInt32(truncatingIfNeeded: sum)
    counter.1 = UInt32(truncatingIfNeeded: sum >> 32)
    if carry { counter.2 &+= 1 }
    used = 4
  }

  /// The next 32 random bits.
  public mutating func next32() -> UInt32 {
    if used == 4 {
      block = Self.rounds(counter, key)
      increment()
      used = 0
    }
    defer { used += 1 }
    switch used {
    case 0: return block.0
    case 1: return block.1
    case 2: return block.2
    default: return block.3
    }
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    UInt64(next32()) << 32 | UInt64(next32())
  }

  /// A float uniform in [0, 1), with 24 random bits.
  public mutating func nextFloat() -> Float {
    Float(next32() >> 8) * 0x1p-24
  }

  /// A double uniform in [0, 1), with 53 random bits.
  public mutating func nextDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A standard normal sample (Box-Muller in double precision).
  public mutating func nextNormal() -> Double {
    let u1 = 1 - nextDouble()  // in (0, 1]: log stays finite
    let u2 = nextDouble()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// A standard normal sample redrawn until it lies within two standard deviations, as
  /// TensorFlow's `truncated_normal` does.
  public mutating func nextTruncatedNormal() -> Double {
    while true {
      let value = nextNormal()
      if abs(value) <= 2 { return value }
    }
  }

  private mutating func increment() {
    counter.0 &+= 1
    if counter.0 == 0 {
      counter.1 &+= 1
      if counter.1 == 0 { counter.2 &+= 1 }
    }
  }

  static func rounds(
    _ start: (UInt32, UInt32, UInt32, UInt32), _ startKey: (UInt32, UInt32)
  ) -> (UInt32, UInt32, UInt32, UInt32) {
    var c = start
    var k = startKey
    for _ in 0..<10 {
      let p0 = UInt64(0xD251_1F53) * UInt64(c.0)
      let p1 = UInt64(0xCD9E_8D57) * UInt64(c.2)
      let (hi0, lo0) = (UInt32(p0 >> 32), UInt32(truncatingIfNeeded: p0))
      let (hi1, lo1) = (UInt32(p1 >> 32), UInt32(truncatingIfNeeded: p1))
      c = (hi1 ^ c.1 ^ k.0, lo1, hi0 ^ c.3 ^ k.1, lo0)
      k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85)
    }
    return c
  }
}
