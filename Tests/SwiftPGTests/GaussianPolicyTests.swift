import Testing

@testable import SwiftPG

/// Diagonal Gaussian policies (free, state-dependent and gSDE log σ): the
/// closed forms by hand, gradients against finite differences, sampling.
@Suite struct GaussianPolicyTests {
  static let cases: [PolicyCase] = [
    PolicyCase(name: "Gaussian linear, free std") {
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [], headGain: 1, seed: 4)
    },
    PolicyCase(name: "Gaussian MLP, free std") {
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], headGain: 1, seed: 5)
    },
    PolicyCase(name: "Gaussian MLP, state-dependent std") {
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], stateDependentStd: true, headGain: 1, seed: 6)
    },
    PolicyCase(name: "Gaussian linear, gSDE") {
      try GaussianPolicy(
        observationSize: 3, actionSize: 2, hidden: [], std: .gsde, initialLogStd: -0.5, headGain: 1, seed: 7)
    },
  ]

  /// Score, entropy and KL gradients and the Fisher-vector product
  /// against finite differences (`PolicyChecks`).
  @Test(arguments: cases)
  func derivativesMatchFiniteDifferences(_ c: PolicyCase) throws {
    try PolicyChecks.derivativesMatchFiniteDifferences(c)
  }

  /// μ = 2s + 1, σ = 0.5 at s = 0.25, a = 2: u = 1, log π = −½ − log 0.5 −
  /// ½ log 2π; H = log 0.5 + ½(1 + log 2π); and KL(N(1.5, 0.5²) ‖
  /// N(1, 1)) = log 2 + (0.25 + 0.25)/2 − ½.
  @Test func closedFormsByHand() throws {
    let p = try GaussianPolicy(observationSize: 1, actionSize: 1, hidden: [], headGain: 1, seed: 0)
    try p.setParameters([2.0, 1.0, _log(0.5)])
    var lp = [0.0]
    var h = [0.0]
    var kl = [0.0]
    let action = [2.0]
    action.withUnsafeBytes { a in p.logProbabilities([0.25], actions: a.baseAddress!, batch: 1, into: &lp) }
    p.entropies([0.25], batch: 1, into: &h)
    let halfLog2Pi = 0.5 * _log(2 * Double.pi)
    #expect(abs(lp[0] - (-0.5 - _log(0.5) - halfLog2Pi)) < 1e-15)
    #expect(abs(h[0] - (_log(0.5) + 0.5 + halfLog2Pi)) < 1e-15)
    try p.setParameters([0, 1, 0])  // new: N(1, 1); old (below): N(1.5, 0.25)
    p.klDivergences([0.25], batch: 1, oldParameters: [2.0, 1.0, _log(0.5)], into: &kl)
    #expect(abs(kl[0] - (_log(2) + 0.25 - 0.5)) < 1e-14)
  }

  @Test func gaussianSamplingMoments() throws {
    let p = try GaussianPolicy(observationSize: 1, actionSize: 1, hidden: [], initialLogStd: _log(0.5), headGain: 1, seed: 0)
    try p.setParameters([2.0, 1.0, _log(0.5)])  // μ = 2 s + 1, σ = 0.5
    let n = 50_000
    let obs = [Double](repeating: 0.25, count: n)
    var a = [Double](repeating: 0, count: n)
    var g = PCG64(seed: 1)
    a.withUnsafeMutableBytes { raw in p.sample(obs, batch: n, greedy: false, rawActions: raw.baseAddress!, using: &g) }
    let mean = a.reduce(0, +) / Double(n)
    let sd = (a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
    #expect(abs(mean - 1.5) < 5 * 0.5 / Double(n).squareRoot())
    #expect(abs(sd - 0.5) < 5 * 0.5 / (2 * Double(n)).squareRoot())
    var greedy = [0.0]
    greedy.withUnsafeMutableBytes { raw in p.sample([0.25], batch: 1, greedy: true, rawActions: raw.baseAddress!, using: &g) }
    #expect(greedy[0] == 1.5)
  }

  /// The state-dependent head's log σ starts at `initialLogStd` (its bias;
  /// with head gain 0 the weights are 0), whatever the observation.
  @Test func stateDependentStdStartsAtItsInitialValue() throws {
    let p = try GaussianPolicy(
      observationSize: 2, actionSize: 3, hidden: [4], stateDependentStd: true, initialLogStd: -1, headGain: 0, seed: 3)
    var h = [0.0, 0.0]
    p.entropies([0.3, -2, 5, 1], batch: 2, into: &h)
    let expected = 3 * (-1 + 0.5 + 0.5 * _log(2 * Double.pi))
    #expect(h.allSatisfy { abs($0 - expected) < 1e-14 })
  }

  /// gSDE with φ(s) = s (no hidden layer) and L = 0: σ_j² = Σ_i s_i² + 10⁻⁶.
  @Test func gsdeVariance() throws {
    let p = try GaussianPolicy(observationSize: 2, actionSize: 1, hidden: [], std: .gsde, initialLogStd: 0, seed: 1)
    var h = [0.0]
    p.entropies([3, 4], batch: 1, into: &h)
    #expect(abs(h[0] - (0.5 * _log(25 + 1e-6) + 0.5 + 0.5 * _log(2 * Double.pi))) < 1e-14)
    #expect(p.parameterCount == 3 + 2)
  }

  /// gSDE holds its noise matrix for `noiseInterval` calls: repeated
  /// samples at the same state differ only by the 10⁻³ floor noise until
  /// the matrix is redrawn.
  @Test func gsdeHoldsItsNoise() throws {
    let p = try GaussianPolicy(
      observationSize: 2, actionSize: 2, hidden: [], std: .gsde, noiseInterval: 3, headGain: 0, seed: 2)
    let obs = [Double](repeating: 1, count: 8 * 2)
    var g = PCG64(seed: 4)
    func draw() -> [Double] {
      var a = [Double](repeating: 0, count: 16)
      a.withUnsafeMutableBytes { raw in p.sample(obs, batch: 8, greedy: false, rawActions: raw.baseAddress!, using: &g) }
      return a
    }
    let first = draw()
    let second = draw()
    let third = draw()
    let fourth = draw()
    func gap(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).map { abs($0 - $1) }.max() ?? 0 }
    #expect(gap(first, second) < 0.01 && gap(first, third) < 0.01)
    #expect(gap(first, fourth) > 0.1)
  }

  @Test func sizesAndValidation() throws {
    for std in [GaussianPolicy.Std.free, .stateDependent, .gsde] {
      let p = try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [5], std: std)
      let count = try GaussianPolicy.parameterCount(observationSize: 3, actionSize: 2, hidden: [5], std: std)
      #expect(p.parameterCount == count && p.parameters.count == count)
    }
    let free = try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [5], std: .free)
    #expect(free.parameterCount == 4 * 5 + 6 * 2 + 2)
    #expect(free.specification == [3, 2, 0, 0, 1, 5])
    #expect(throws: SwiftPGError.self) { try GaussianPolicy(observationSize: 3, actionSize: 0, hidden: []) }
    #expect(throws: SwiftPGError.self) { try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [], initialLogStd: .nan) }
    #expect(throws: SwiftPGError.self) {
      try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [], std: .gsde, noiseInterval: 0)
    }
    #expect(throws: SwiftPGError.self) { try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [], headGain: -1) }
    #expect(throws: SwiftPGError.self) { try free.setParameters(free.parameters.map { _ in .infinity }) }
  }
}
