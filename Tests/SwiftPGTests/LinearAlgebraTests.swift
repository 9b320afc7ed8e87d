import Testing

@testable import SwiftPG

/// Core/LinearAlgebra.swift: solutions and inverses multiply back, a pivot
/// is needed and taken, a singular matrix throws.
@Suite struct LinearAlgebraTests {
  @Test func solveAndInverseMultiplyBack() throws {
    var rng = PCG64(seed: 3)
    let n = 6
    let m = (0..<(n * n)).map { _ in rng.nextUnitDouble() - 0.5 }
    let b = (0..<n).map { _ in rng.nextUnitDouble() }
    let x = try LinearAlgebra.solve(m, b, n: n)
    for i in 0..<n {
      let row = (0..<n).reduce(0.0) { $0 + m[i * n + $1] * x[$1] }
      #expect(abs(row - b[i]) < 1e-12)
    }
    let inv = try LinearAlgebra.inverse(m, n: n)
    for i in 0..<n {
      for j in 0..<n {
        let v = (0..<n).reduce(0.0) { $0 + m[i * n + $1] * inv[$1 * n + j] }
        #expect(abs(v - (i == j ? 1 : 0)) < 1e-12)
      }
    }
    // A zero in the first pivot needs the row swap.
    #expect(try LinearAlgebra.solve([0, 1, 1, 0], [2, 3], n: 2) == [3, 2])
  }

  @Test func singularAndMisshapenInputThrow() {
    let e = #expect(throws: SwiftPGError.self) { try LinearAlgebra.solve([1, 2, 2, 4], [1, 1], n: 2, singular: "rank 1") }
    #expect(e?.code == .numerical && e?.message == "rank 1")
    #expect(throws: SwiftPGError.self) { try LinearAlgebra.solve([1, 2, 3], [1, 1], n: 2) }
  }
}
