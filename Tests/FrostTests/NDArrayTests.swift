import Testing

@testable import Frost

@Suite("NDArray")
struct NDArrayTests {
  @Test func roundTripsScalarsOfEveryType() throws {
    #expect(try NDArray(shape: [2], scalars: [Float(1), 2]).scalars(as: Float.self) == [1, 2])
    #expect(try NDArray(shape: [1], scalars: [2.5]).scalars(as: Double.self) == [2.5])
    #expect(
      try NDArray(shape: [3], scalars: [Int32(-1), 0, 7]).scalars(as: Int32.self) == [-1, 0, 7])
    #expect(
      try NDArray(shape: [2], scalars: [true, false]).scalars(as: Bool.self) == [true, false])
  }

  @Test func wrongScalarTypeIsAnError() throws {
    let a = try NDArray(shape: [2], scalars: [Float(1), 2])
    #expect(throws: FrostError.self) { try a.scalars(as: Int32.self) }
    #expect(throws: FrostError.self) { try NDArray(shape: [2, 2], scalars: [Float(1)]) }
  }

  @Test func rowSlicesShareStorage() throws {
    let a = try NDArray(shape: [4, 2], scalars: (0..<8).map(Float.init))
    let b = try a.rows(1..<3)
    #expect(b.shape == [2, 2])
    #expect(try b.scalars(as: Float.self) == [2, 3, 4, 5])
    #expect(b.storage === a.storage)
    #expect(throws: FrostError.self) { try a.rows(3..<5) }
  }

  @Test func printsLikeNumpy() throws {
    let a = try NDArray(shape: [2, 2], scalars: [Float(1), 2.5, -3, 4])
    #expect(a.description == "[[ 1.   2.5]\n [-3.   4. ]]")
    #expect(NDArray(Int32(3)).description == "3")
    let big = try NDArray(zeros: [2000])
    #expect(big.description == "[0. 0. 0. ... 0. 0. 0.]")
  }

  @Test func equalityComparesElements() throws {
    let a = try NDArray(shape: [2], scalars: [Float(1), 2])
    #expect(a == NDArray([Float(1), 2]))
    #expect(a != NDArray([Float(1), 3]))
    #expect(a != NDArray([Double(1), 2]))
  }
}
