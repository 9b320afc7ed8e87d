import Testing

@testable import SwiftPG

/// Algorithms/Reinforce.swift: every weighting × baseline on a hand-made
/// batch, with hand-computed gradients.
///
/// The batch (γ = 0.5) over a uniform tabular policy (2 states × 2
/// actions, θ = 0, so ∇_{θ[s,·]} log π(a|s) = e_a − ½, i.e. ±½), in one lane:
///   k0: s0 a0 r=1 | k1: s1 a1 r=4 terminated    (episode 1)
///   k2: s1 a0 r=2 | k3: s0 a0 r=−2 truncated    (episode 2)
/// Score vectors over θ = (θ00, θ01, θ10, θ11):
///   k0, k3: (½, −½, 0, 0);  k1: (0, 0, −½, ½);  k2: (0, 0, ½, −½).
/// So with ψ the per-step weights and M = 4 steps,
///   ĝ00 = −ĝ01 = ½(ψ0 + ψ3)/M,  ĝ10 = −ĝ11 = ½(ψ2 − ψ1)/M.
/// With SGD at learning rate 1 from θ = 0 the new parameters are ĝ itself.
@Suite struct ReinforceTests {
  static let observations = oneHot([0, 1, 1, 0], count: 2)
  static let actions: [Int32] = [0, 1, 0, 0]

  func batch(tail: Bool = false) -> Trajectories {
    // The optional tail k4: s0 a1 r=5 belongs to an episode that does not end in the batch.
    makeTrajectories(
      observationSize: 2, actionSpace: .discrete(2), steps: tail ? 5 : 4,
      observations: Self.observations + (tail ? oneHot([0], count: 2) : []), actions: Self.actions + (tail ? [1] : []),
      rewards: [1, 4, 2, -2] + (tail ? [5] : []), terminated: [0, 1, 0, 0] + (tail ? [0] : []),
      truncated: [0, 0, 0, 1] + (tail ? [0] : []))
  }

  func learner(_ change: (inout Reinforce.Config) -> Void) throws -> Reinforce {
    var config = Reinforce.Config()
    config.gamma = 0.5
    config.optimizer = .sgd
    config.learningRate = 1
    config.normalizeAdvantages = false
    change(&config)
    return try Reinforce(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: nil, config: config)
  }

  /// ĝ from its two free components (ĝ00, ĝ10).
  func g(_ g00: Double, _ g10: Double) -> [Double] { [g00, -g00, g10, -g10] }

  /// Weights by hand:
  ///   full return R(τ): ep1 1 + 0.5·4 = 3, ep2 2 + 0.5·(−2) = 1 ⇒ ψ = (3, 3, 1, 1);
  ///   reward-to-go G_t: (1 + 0.5·4, 4, 2 + 0.5·(−2), −2) = (3, 4, 1, −2);
  ///   discounted γᵗG_t: (3, 0.5·4, 1, 0.5·(−2)) = (3, 2, 1, −1).
  /// Mean baseline (over the 4 steps): 2, 1.5, 1.25.
  ///   full, none:  ĝ00 = ½(3 + 1)/4 = 0.5,       ĝ10 = ½(1 − 3)/4 = −0.25
  ///   full, mean:  ψ = (1, 1, −1, −1): ĝ00 = 0,  ĝ10 = −0.25
  ///   RTG, none:   ĝ00 = ½(3 − 2)/4 = 0.125,     ĝ10 = ½(1 − 4)/4 = −0.375
  ///   RTG, mean:   ψ = (1.5, 2.5, −0.5, −3.5): ĝ00 = ½(1.5 − 3.5)/4 = −0.25, ĝ10 = −0.375
  ///   disc, none:  ĝ00 = ½(3 − 1)/4 = 0.25,      ĝ10 = ½(1 − 2)/4 = −0.125
  ///   disc, mean:  ψ = (1.75, 0.75, −0.25, −2.25): ĝ00 = ½(1.75 − 2.25)/4 = −0.0625, ĝ10 = −0.125
  @Test func everyWeightingAndBaselineGivesTheHandComputedGradient() throws {
    let cases: [(ReturnWeighting, BaselineKind, [Double])] = [
      (.fullReturn, .none, g(0.5, -0.25)), (.fullReturn, .mean, g(0, -0.25)),
      (.rewardToGo, .none, g(0.125, -0.375)), (.rewardToGo, .mean, g(-0.25, -0.375)),
      (.discountedRewardToGo, .none, g(0.25, -0.125)), (.discountedRewardToGo, .mean, g(-0.0625, -0.125)),
    ]
    for (weighting, baseline, expected) in cases {
      let l = try learner {
        $0.weighting = weighting
        $0.baseline = baseline
      }
      let s = try l.update(external: batch())
      #expect(l.policy.parameters == expected, "\(weighting) \(baseline)")
      #expect(s.gradNorm == Statistics.norm(expected))
      #expect(s.iteration == 1 && s.envSteps == 4 && s.episodes.count == 0)
    }
  }

  /// Dividing by the number of episodes (2) instead of steps (4) doubles ĝ;
  /// normalising divides ψ by its population std (+1e-8):
  /// RTG − mean: ψ = (1.5, 2.5, −0.5, −3.5), std = √((2.25 + 6.25 + 0.25 + 12.25)/4) = √5.25.
  @Test func episodeAverageAndNormalisation() throws {
    let average = try learner { $0.episodeAverage = true }
    _ = try average.update(external: batch())
    #expect(average.policy.parameters == g(-0.5, -0.75))
    let normalized = try learner { $0.normalizeAdvantages = true }
    _ = try normalized.update(external: batch())
    let sd = 5.25.squareRoot() + 1e-8
    expectClose(normalized.policy.parameters, g(-0.25 / sd, -0.375 / sd), 1e-15, "normalised")
  }

  /// The optimal per-parameter baseline b_j = Σ ℓ_j² ψ / Σ ℓ_j², ĝ_j =
  /// Σ ℓ_j (ψ − b_j) / (episodes = 2), on the reward-to-go weights:
  ///   θ00: rows k0, k3 both ℓ = ½ ⇒ b = (3 − 2)/2 = 0.5, ĝ = ½(3 − 0.5) + ½(−2 − 0.5) = 0;
  ///   θ10: rows k1 (ℓ = −½), k2 (½) ⇒ b = (4 + 1)/2 = 2.5,
  ///        ĝ = (−½(4 − 2.5) + ½(1 − 2.5))/2 = −0.75.
  /// (A batch-mean baseline 1.5 would give ĝ00 = (½·1.5 + ½·(−3.5))/2 = −0.5.)
  @Test func optimalBaselinePath() throws {
    let l = try learner {
      $0.baseline = .optimal
      $0.normalizeAdvantages = true  // not applied with the optimal baseline
    }
    _ = try l.update(external: batch())
    #expect(l.policy.parameters == g(0, -0.75))
  }

  /// The learned baseline: ψ = G − V(s) (γᵗ(G − V) when discounted), then
  /// V fitted to G. V = (1, 2) for (s0, s1):
  ///   RTG:  ψ = (3 − 1, 4 − 2, 1 − 2, −2 − 1) = (2, 2, −1, −3): ĝ00 = ½(2 − 3)/4 = −0.125, ĝ10 = ½(−1 − 2)/4 = −0.375;
  ///   disc: ψ = (2, 2 − 0.5·2, −1, −1 − 0.5·1) = (2, 1, −1, −1.5): ĝ00 = 0.0625, ĝ10 = −0.25.
  /// Critic: ∇ ½ mean (V − G)² = ((1 − 3) + (1 + 2))/4 = 0.25 for s0 and ((2 − 4) + (2 − 1))/4 = −0.25 for s1;
  /// SGD at 0.5 ⇒ V = (0.875, 2.125); loss ½(4 + 9 + 4 + 1)/4 = 2.25.
  @Test func valueBaseline() throws {
    for (weighting, expected) in [(ReturnWeighting.rewardToGo, g(-0.125, -0.375)), (.discountedRewardToGo, g(0.0625, -0.25))] {
      let critic = try ValueFunction(tabularStates: 2)
      try critic.setParameters([1, 2])
      var config = Reinforce.Config()
      config.gamma = 0.5
      config.optimizer = .sgd
      config.learningRate = 1
      config.valueLearningRate = 0.5
      config.valueEpochs = 1
      config.normalizeAdvantages = false
      config.weighting = weighting
      config.baseline = .value
      let l = try Reinforce(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: critic, config: config)
      let s = try l.update(external: batch())
      #expect(l.policy.parameters == expected, "\(weighting)")
      #expect(critic.parameters == [0.875, 2.125])
      #expect(s.valueLoss == 2.25)
    }
  }

  /// Steps of an episode that does not end in the batch get weight 0 and
  /// are not counted: the update equals that of the complete episodes alone.
  @Test func incompleteEpisodesGetZeroWeight() throws {
    for baseline in [BaselineKind.none, .mean, .optimal] {
      for normalize in [false, true] {
        let a = try learner {
          $0.baseline = baseline
          $0.normalizeAdvantages = normalize
        }
        let b = try learner {
          $0.baseline = baseline
          $0.normalizeAdvantages = normalize
        }
        _ = try a.update(external: batch())
        _ = try b.update(external: batch(tail: true))
        expectClose(b.policy.parameters, a.policy.parameters, 1e-15, "\(baseline) normalise \(normalize)")
      }
    }
    // No complete episode at all: refused (and rolled back).
    let l = try learner { _ in }
    let open = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(2), steps: 2, observations: oneHot([0, 1], count: 2), actions: [0, 1],
      rewards: [1, 1])
    #expect { _ = try l.update(external: open) } throws: { ($0 as? SwiftPGError)?.code == .invalidArgument }
    #expect(l.iteration == 0 && l.policy.parameters == [0, 0, 0, 0])
  }

  @Test func invalidConfigurations() throws {
    #expect(throws: SwiftPGError.self) {
      try learner {
        $0.weighting = .fullReturn
        $0.baseline = .value
      }
    }
    #expect(throws: SwiftPGError.self) { try learner { $0.stepsPerIteration = 0 } }
    // A value baseline needs a critic.
    #expect(throws: SwiftPGError.self) { try learner { $0.baseline = .value } }
  }

  @Test func reinforceVariantsImproveOnCartPole() throws {
    for (weighting, baseline) in [
      (ReturnWeighting.rewardToGo, BaselineKind.mean), (.fullReturn, .none), (.rewardToGo, .value),
      (.discountedRewardToGo, .mean),
    ] {
      let l = try cartPoleLearner(Reinforce.self) {
        $0.stepsPerIteration = 2000
        $0.weighting = weighting
        $0.baseline = baseline
      }
      var returns: [Double] = []
      for _ in 0..<25 { returns.append(try l.iterate().meanReturn) }
      let last = tailMean(returns, 3)
      #expect(returns[0] < 40)
      #expect(last > 100, "\(weighting) \(baseline): \(returns[0]) -> \(last)")
    }
  }
}
