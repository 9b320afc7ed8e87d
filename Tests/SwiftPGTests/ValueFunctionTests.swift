import Testing

@testable import SwiftPG

@Suite struct ValueFunctionTests {
  @Test(arguments: [[Int](), [5], [4, 3]])
  func gradientMatchesFiniteDifferences(hidden: [Int]) throws {
    let v = try ValueFunction(observationSize: 3, hidden: hidden, seed: 1)
    var g = PCG64(seed: 2)
    try v.setParameters(v.parameters.map { _ in 0.5 * g.standardNormal() })
    let b = 6
    let obs = (0..<(b * 3)).map { _ in g.standardNormal() }
    let w = (0..<b).map { _ in g.standardNormal() }
    var grad = [Double](repeating: .nan, count: v.parameterCount)
    v.gradient(obs, weights: w, batch: b, into: &grad)
    let theta = v.parameters
    for k in theta.indices {
      func f(_ d: Double) throws -> Double {
        var t = theta
        t[k] += d
        try v.setParameters(t)
        var out = [Double](repeating: 0, count: b)
        v.predict(obs, batch: b, into: &out)
        return zip(out, w).map(*).reduce(0, +)
      }
      let numeric = (try f(1e-6) - f(-1e-6)) / 2e-6
      #expect(abs(numeric - grad[k]) <= 1e-6 * Swift.max(1, abs(numeric)))
    }
  }

  @Test func tabularValues() throws {
    let v = try ValueFunction(tabularStates: 3)
    try v.setParameters([1, 2, 3])
    var out = [0.0, 0.0]
    v.predict([0, 0, 1, 1, 0, 0], batch: 2, into: &out)
    #expect(out == [3, 1])
    var grad = [0.0, 0.0, 0.0]
    v.gradient([0, 0, 1, 0, 0, 1], weights: [2, 5], batch: 2, into: &grad)
    #expect(grad == [0, 0, 7])
    #expect(v.checkObservations([0, 0.5, 0], batch: 1) != nil)
  }
}
