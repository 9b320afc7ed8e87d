import Testing

@testable import SwiftPG

/// Estimators/EpisodeWeights.swift on its own: episode indices, whole-
/// episode returns and γ^k-weighted reward-to-go on one lane with two
/// episodes (the first ends by termination at t = 1, the second runs to
/// the last row).
@Suite struct EpisodeWeightsTests {
  let rewards: [Double] = [1, 2, 3, 4, 5]
  let terminated: [UInt8] = [0, 1, 0, 0, 0]
  let truncated: [UInt8] = [0, 0, 0, 0, 0]

  func run<T>(_ body: (Rollout) -> T) -> T {
    rewards.withUnsafeBufferPointer { r in
      terminated.withUnsafeBufferPointer { te in
        truncated.withUnsafeBufferPointer { tr in
          body(
            Rollout(
              steps: 5, count: 1, rewards: r.baseAddress!, terminated: te.baseAddress!, truncated: tr.baseAddress!,
              values: nil, finalValues: nil))
        }
      }
    }
  }

  @Test func indicesRestartAfterAnEpisodeEnd() {
    var out = [Int](repeating: -1, count: 5)
    run { episodeIndices($0, into: &out) }
    #expect(out == [0, 1, 0, 1, 2])
  }

  @Test func episodeReturnsAreTheWholeDiscountedReturn() {
    var out = [Double](repeating: 0, count: 5)
    run { episodeReturns($0, gamma: 0.5, into: &out) }
    let first = 1 + 0.5 * 2
    let second = 3 + 0.5 * 4 + 0.25 * 5
    #expect(out == [first, first, second, second, second])
  }

  /// Σ_{ℓ≥k} γ^ℓ r_ℓ (Kochenderfer Alg. 11.5): the reward-to-go times γ^k.
  @Test func discountedRewardToGoKeepsTheGammaToTheKFactor() {
    var out = [Double](repeating: 0, count: 5)
    run { discountedRewardToGo($0, gamma: 0.5, into: &out) }
    let expected: [Double] = [1 + 0.5 * 2, 0.5 * 2, 3 + 0.5 * 4 + 0.25 * 5, 0.5 * 4 + 0.25 * 5, 0.25 * 5]
    for k in 0..<5 { #expect(Swift.abs(out[k] - expected[k]) < 1e-15, "t = \(k)") }
  }
}
