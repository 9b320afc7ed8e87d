import Testing

@testable import SwiftPG

#if canImport(Glibc)
  import Glibc
#endif

/// Synthetic Bradley–Terry data from a known linear reward r*(x) = w*ᵀx,
/// x ~ N(0, I₅): each comparison draws two fresh items and prefers the
/// first with probability σ(r*(a) − r*(b)).
struct SyntheticPreferences {
  static let gold: [Double] = [1.0, -0.8, 0.5, 0.0, 0.6]  // |w*| = 1.5
  static let k = 5
  var rng: PCG64

  static func reward(_ x: ArraySlice<Double>) -> Double {
    zip(x, gold).reduce(0) { $0 + $1.0 * $1.1 }
  }

  mutating func items(_ n: Int) -> [Double] { (0..<(n * Self.k)).map { _ in rng.standardNormal() } }

  /// (chosen rows, rejected rows, the labeller's P(chosen ≻ rejected) per
  /// pair as drawn, i.e. max-or-min of p; the ceiling uses max(p, 1 − p)).
  mutating func pairs(_ n: Int) -> (chosen: [Double], rejected: [Double], ceiling: Double) {
    var chosen: [Double] = [], rejected: [Double] = []
    var ceiling = 0.0
    for _ in 0..<n {
      let a = items(1), b = items(1)
      let p = PreferenceLosses.sigmoid(Self.reward(a[...]) - Self.reward(b[...]))
      ceiling += Swift.max(p, 1 - p)
      if rng.nextUnitDouble() < p {
        chosen += a
        rejected += b
      } else {
        chosen += b
        rejected += a
      }
    }
    return (chosen, rejected, ceiling / Double(n))
  }

  /// k-way Plackett–Luce rankings of fresh items: the best drawn ∝ e^{r*},
  /// then the best of the rest, and so on.
  mutating func rankings(_ n: Int, k: Int) -> (candidates: [Double], rankings: [Int32]) {
    var candidates: [Double] = [], rankings: [Int32] = []
    for _ in 0..<n {
      let x = items(k)
      var left = Array(0..<k)
      let r = (0..<k).map { Self.reward(x[($0 * Self.k)..<($0 * Self.k + Self.k)]) }
      while !left.isEmpty {
        let w = left.map { exp(r[$0]) }
        var u = rng.nextUnitDouble() * w.reduce(0, +)
        var pick = left.count - 1
        for (i, wi) in w.enumerated() {
          if u < wi {
            pick = i
            break
          }
          u -= wi
        }
        rankings.append(Int32(left[pick]))
        left.remove(at: pick)
      }
      candidates += x
    }
    return (candidates, rankings)
  }
}

@Suite struct RewardModelTests {
  /// Hand values: x = (1, 2, 3), y = (1, 3, 2): Spearman 1 − 6·2/(3·8) = ½;
  /// Kendall (2 − 1)/3 = ⅓. With ties, x = (1, 2, 3, 4), y = (1, 1, 2, 3):
  /// ranks of y (1.5, 1.5, 3, 4), Pearson 4.5/√(5·4.5) = 0.9486832980505138;
  /// τ-b: C = 5, D = 0, n₀ = 6, n₂ = 1 → 5/√30 = 0.9128709291752769.
  @Test func rankCorrelationGoldenValues() throws {
    #expect(Swift.abs(try RankCorrelation.spearman([1, 2, 3], [1, 3, 2]) - 0.5) < 1e-15)
    #expect(Swift.abs(try RankCorrelation.kendallTauB([1, 2, 3], [1, 3, 2]) - 1.0 / 3) < 1e-15)
    #expect(Swift.abs(try RankCorrelation.spearman([1, 2, 3, 4], [1, 1, 2, 3]) - 0.9486832980505138) < 1e-15)
    #expect(Swift.abs(try RankCorrelation.kendallTauB([1, 2, 3, 4], [1, 1, 2, 3]) - 0.9128709291752769) < 1e-15)
    #expect(RankCorrelation.averageRanks([3, 1, 3, 2, 3]) == [4, 1, 4, 2, 4])
    let x: [Double] = [0.3, -2, 5, 1.1, 0]
    #expect(try RankCorrelation.spearman(x, x.map { exp($0) }) == 1)
    #expect(try RankCorrelation.kendallTauB(x, x.map { -$0 * 3 }) == -1)
    #expect(try RankCorrelation.spearman(x, [1, 1, 1, 1, 1]).isNaN)
    #expect(throws: SwiftPGError.self) { try RankCorrelation.spearman([1], [1]) }
    #expect(throws: SwiftPGError.self) { try RankCorrelation.kendallTauB([1, 2], [1]) }
    #expect(throws: SwiftPGError.self) { try RankCorrelation.spearman([1, .nan], [1, 2]) }
  }

  /// A linear reward model fitted on 4000 synthetic BT comparisons recovers
  /// the gold ranking and reaches the labeller's ceiling on held-out pairs.
  ///
  /// Threshold derivation. Δ* = r*(a) − r*(b) ~ N(0, 2|w*|²) = N(0, 4.5),
  /// E[σ′(Δ*)] ≈ 0.14, so the Fisher information per pair in each direction
  /// orthogonal to w* is 2·0.14 ≈ 0.28; with N = 4000 each of the 4
  /// orthogonal components of ŵ has SE ≈ 1/√(0.28·4000) ≈ 0.03, the angle
  /// between ŵ and w* is ≈ 0.06/1.5 = 0.04 rad, and for Gaussian items the
  /// predicted and gold rewards have Pearson ρ = cos θ ≈ 0.9992, Spearman
  /// (6/π) arcsin(ρ/2) ≈ 0.9992 and Kendall (2/π) arcsin ρ ≈ 0.975.
  /// Spearman > 0.99 needs θ < 0.14 rad (3.5× the expected angle) and
  /// Kendall > 0.93 needs θ < 0.11 rad (2.7×). Held-out accuracy: the
  /// labels are noisy, so the ceiling is mean(max(p, 1 − p)) ≈ 0.80 over the
  /// 4000 held-out pairs and the accuracy's sampling SE is √(0.16/4000) ≈
  /// 0.0063: 3 points is 4.7 SE (the loss from θ is O(θ²), negligible).
  /// Observed at these seeds: ρ = 0.9975, τ = 0.958 (θ ≈ 0.07: Adam's
  /// constant step adds noise of the order of the statistical error),
  /// accuracy 0.7868 against a ceiling of 0.7873.
  @Test func linearModelRecoversBradleyTerryReward() throws {
    var data = SyntheticPreferences(rng: PCG64(seed: 2024))
    let train = data.pairs(4000)
    let test = data.pairs(4000)
    let model = try RewardModel(featureCount: 5)
    let history = try model.fit(
      chosen: train.chosen, rejected: train.rejected, pairs: 4000,
      config: .init(epochs: 20, minibatchSize: 100, learningRate: 0.02, seed: 9))
    #expect(history.loss.count == 20 && history.loss[19] < history.loss[0])
    let accuracy = try model.pairAccuracy(chosen: test.chosen, rejected: test.rejected, pairs: 4000)
    #expect(accuracy > test.ceiling - 0.03, "accuracy \(accuracy), ceiling \(test.ceiling)")
    let items = data.items(1000)
    let gold = (0..<1000).map { SyntheticPreferences.reward(items[($0 * 5)..<($0 * 5 + 5)]) }
    let predicted = try model.predict(items, rows: 1000)
    let rho = try RankCorrelation.spearman(predicted, gold)
    let tau = try RankCorrelation.kendallTauB(predicted, gold)
    #expect(rho > 0.99 && tau > 0.93, "Spearman \(rho), Kendall \(tau)")
    // The same seed gives the same model.
    let again = try RewardModel(featureCount: 5)
    _ = try again.fit(
      chosen: train.chosen, rejected: train.rejected, pairs: 4000,
      config: .init(epochs: 20, minibatchSize: 100, learningRate: 0.02, seed: 9))
    #expect(again.parameters == model.parameters)
  }

  /// k-way Plackett–Luce rankings (k = 4, 1500 of them: 9000 ranked pairs)
  /// through the ranking loss, with an MLP and standardisation of features
  /// given on a shifted, scaled scale: the ranking is recovered (Spearman
  /// above 0.98; the MLP has more freedom than the linear truth, so the
  /// threshold is looser than the linear model's), and the specification
  /// round-trips.
  @Test func mlpFitsRankingsWithStandardisation() throws {
    var data = SyntheticPreferences(rng: PCG64(seed: 77))
    let (raw, rankings) = data.rankings(1500, k: 4)
    let shift = { (x: [Double]) in x.enumerated().map { 50 + 100 * $0.element * Double(1 + $0.offset % 5) } }
    let candidates = shift(raw)
    let model = try RewardModel(featureCount: 5, hiddenSizes: [16], activation: .tanh, seed: 3)
    let history = try model.fit(
      candidates: candidates, rankings: rankings, k: 4, count: 1500,
      config: .init(epochs: 15, minibatchSize: 50, learningRate: 0.01, seed: 4, standardize: true))
    #expect(history.loss[14] < history.loss[0])
    #expect(model.featureMean != nil)
    let mean = try #require(model.featureMean)
    #expect(Swift.abs(mean[0] - candidates.enumerated().filter { $0.offset % 5 == 0 }.map(\.element).reduce(0, +) / 6000) < 1e-9)
    let items = data.items(500)
    let gold = (0..<500).map { SyntheticPreferences.reward(items[($0 * 5)..<($0 * 5 + 5)]) }
    let predicted = try model.predict(shift(items), rows: 500)
    let rho = try RankCorrelation.spearman(predicted, gold)
    #expect(rho > 0.98, "Spearman \(rho)")
    let copy = try RewardModel(specification: model.specification, parameters: model.parameters)
    #expect(try copy.predict(shift(items), rows: 500) == predicted)
    #expect(copy.specification == model.specification)
  }

  /// With centring the mean reward of compared items goes to ~0 from a
  /// bias of 3 (without it only rounding reaches the bias: BT is blind to
  /// an additive constant).
  @Test func centringPinsTheMeanReward() throws {
    var data = SyntheticPreferences(rng: PCG64(seed: 5))
    let train = data.pairs(1000)
    let model = try RewardModel(featureCount: 5)
    try model.setParameters([0, 0, 0, 0, 0, 3])  // bias 3
    _ = try model.fit(
      chosen: train.chosen, rejected: train.rejected, pairs: 1000,
      config: .init(epochs: 30, minibatchSize: 100, learningRate: 0.05, centring: 0.05))
    let sum = zip(try model.predict(train.chosen, rows: 1000), try model.predict(train.rejected, rows: 1000)).map {
      $0 + $1
    }
    #expect(Swift.abs(sum.reduce(0, +) / 1000) < 0.1)
  }

  @Test func badInputsThrow() throws {
    let model = try RewardModel(featureCount: 2)
    #expect(throws: SwiftPGError.self) { try RewardModel(featureCount: 0) }
    #expect(throws: SwiftPGError.self) { try model.predict([1, 2, 3], rows: 2) }
    #expect(throws: SwiftPGError.self) { try model.predict([1, .nan], rows: 1) }
    #expect(throws: SwiftPGError.self) { try model.predict([], rows: 0) }
    #expect(throws: SwiftPGError.self) {
      try model.fit(chosen: [1, 2], rejected: [1, 2, 3, 4], pairs: 1, config: .init())
    }
    #expect(throws: SwiftPGError.self) {
      try model.fit(chosen: [1, 2], rejected: [3, 4], pairs: 1, config: .init(learningRate: -1))
    }
    #expect(throws: SwiftPGError.self) {
      try model.fit(chosen: [1, 2], rejected: [3, 4], pairs: 1, margins: [1, 2], config: .init())
    }
    #expect(throws: SwiftPGError.self) {
      try model.fit(candidates: [1, 2, 3, 4], rankings: [0, 0], k: 2, count: 1, config: .init())
    }
    #expect(throws: SwiftPGError.self) { try model.setStandardization(mean: [0, 0], scale: [1, 0]) }
    #expect(throws: SwiftPGError.self) { try RewardModel(specification: [2, 0, 0, 1, 0], parameters: [0, 0, 0]) }
    #expect(throws: SwiftPGError.self) { try RewardModel(specification: [2, 9, 0, 0], parameters: [0, 0, 0]) }
    #expect(model.parameters == [0, 0, 0])  // nothing changed
  }
}

@Suite struct RewardModelFailureTests {
  /// Overflowing scores or gradients raise `.numerical` (not a complaint
  /// about arrays the caller never passed), a cancelled fit stops, and in
  /// every case the parameters and the standardisation are unchanged.
  @Test func failedFitsChangeNothing() throws {
    var data = SyntheticPreferences(rng: PCG64(seed: 5))
    let (chosen, rejected, _) = data.pairs(64)
    let m = try RewardModel(featureCount: SyntheticPreferences.k)  // linear: gradients scale with the features
    let before = m.parameters
    let huge = chosen.map { $0 * 1e307 }
    do {
      _ = try m.fit(chosen: huge, rejected: rejected, pairs: 64, config: .init(epochs: 2))
      Issue.record("an overflowing fit succeeded")
    } catch {
      #expect((error as? SwiftPGError)?.code == .numerical)
    }
    #expect(m.parameters == before && m.featureMean == nil)
    m.cancellation = CancellationFlag()
    m.cancellation?.request()
    let cancelled = #expect(throws: SwiftPGError.self) {
      try m.fit(chosen: chosen, rejected: rejected, pairs: 64, config: .init(epochs: 2, standardize: true))
    }
    #expect(cancelled?.code == .cancelled)
    #expect(m.parameters == before && m.featureMean == nil)
    _ = try m.fit(chosen: chosen, rejected: rejected, pairs: 64, config: .init(epochs: 1, standardize: true))
    #expect(m.parameters != before && m.featureMean != nil)
  }

  /// Features near the Double range still standardise to finite μ and σ
  /// (no silent σ = 1 for a feature whose squares overflow).
  @Test func standardisationOfHugeFeatures() throws {
    let m = try RewardModel(featureCount: 1)
    try m.standardize(features: [1e300, -1e300, 1e300, -1e300], rows: 4)
    #expect(m.featureMean == [0])
    #expect(abs((m.featureScale?[0] ?? 0) / 1e300 - 1) < 1e-15)
    try m.standardize(features: [1.5e308, 1.6e308], rows: 2)
    #expect(abs((m.featureMean?[0] ?? 0) / 1.55e308 - 1) < 1e-15)
    #expect(abs((m.featureScale?[0] ?? 0) / 0.05e308 - 1) < 1e-12)
  }
}

