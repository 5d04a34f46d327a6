import Testing

@testable import Frost

@Suite("Philox")
struct PhiloxTests {
  // Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
  @Test func matchesKnownAnswers() {
    let zero = PhiloxRandom.rounds((0, 0, 0, 0), (0, 0))
    #expect(
      [zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
    let ones = PhiloxRandom.rounds(
      (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), (0xffff_ffff, 0xffff_ffff))
    #expect(
      [ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
    let pi = PhiloxRandom.rounds(
      (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), (0xa409_3822, 0x299f_31d0))
    #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
  }

  @Test func sameSeedSameStreamOtherSeedOtherStream() {
    var a = PhiloxRandom(seed: 42, seed2: 7)
    var b = PhiloxRandom(seed: 42, seed2: 7)
    var c = PhiloxRandom(seed: 42, seed2: 8)
    let xs = (0..<8).map { _ in a.next32() }
    #expect(xs == (0..<8).map { _ in b.next32() })
    #expect(xs != (0..<8).map { _ in c.next32() })
  }

  @Test func uniformAndNormalMomentsAreRight() {
    var rng = PhiloxRandom(seed: 1)
    let n = 100_000
    let u = (0..<n).map { _ in Double(rng.nextFloat()) }
    #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    // Mean of U(0,1) is 1/2 with standard error 0.29/sqrt(n) ≈ 0.0009; allow 5 errors.
    #expect(abs(u.reduce(0, +) / Double(n) - 0.5) < 0.005)
    let z = (0..<n).map { _ in rng.nextNormal() }
    let mean = z.reduce(0, +) / Double(n)
    let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
    #expect(abs(mean) < 0.02)
    #expect(abs(variance - 1) < 0.02)
    #expect((0..<1000).allSatisfy { _ in abs(rng.nextTruncatedNormal()) <= 2 })
  }
}
