import Foundation
import Testing

@testable import Frost

@Suite("Kernels")
struct KernelTests {
  @Test func vectorizedFloatExponentialIsWithinTwoUlps() {
    var values: [Float] = []
    var x: Float = -87.3
    while x < 88.37 {
      values.append(x)
      x += 0.0137
    }
    values += [-0.0, 0, 1e-8, -1e-8, 1, -1, 88.37, -87.33]
    var results = values
    results.withUnsafeMutableBufferPointer { Float.exponentials($0.baseAddress!, count: $0.count) }
    for (input, result) in zip(values, results) {
      let exact = Foundation.exp(Double(input))
      // Two units in the last place of the float result.
      let ulp = Double(Float(exact).ulp)
      #expect(Swift.abs(Double(result) - exact) <= 2 * ulp, "exp(\(input)) = \(result), exact \(exact)")
    }
    var extremes: [Float] = [-200, -88, 89, 200, .infinity, -.infinity, 88.5]
    extremes.withUnsafeMutableBufferPointer { Float.exponentials($0.baseAddress!, count: $0.count) }
    #expect(extremes == [0, 0, .infinity, .infinity, .infinity, 0, .infinity])
  }
}
