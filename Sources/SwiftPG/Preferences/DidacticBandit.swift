/// The didactic bandit of Tajwar et al. 2024 ("Preference fine-tuning of LLMs
/// should leverage suboptimal, on-policy data", arXiv:2404.14367, §5): one
/// prompt and a single decision, with a known reference policy π_ref and a
/// known reward whose peak lies either where π_ref puts little mass or where
/// it puts most of it. The paper uses it to separate on-policy sampling,
/// sample reuse and negative gradients: when the optimum is in a
/// low-probability region of π_ref, methods that only raise the likelihood of
/// the data π_ref produces (offline, maximum-likelihood) move mass slowly;
/// mode-seeking on-policy methods with negative gradients get there quickly.
/// (The paper's exact curves are not reproduced; this task follows its
/// shape: a skewed reference distribution over ordered arms and a peaked
/// reward placed in its tail or at its mode.)
///
/// **Arms.** L = 1, so every response is one token: the K = V + 1 arms are
/// the tokens a ∈ 0…V, the EOS token V counting as one arm (the empty
/// response). Arm a sits at position a on a line (EOS last). In canonical
/// response numbering arm EOS is response 0 and content arm a is response
/// a + 1.
///
/// **Reference.** `referenceLogits`[a] = −½((a − m)/w_ref)², m = round(0.7 V),
/// w_ref = 0.15 V: a bump at 70 % of the line (the single next-token
/// distribution a tabular π_ref starts from; `referencePolicy()` is that
/// tabular policy).
///
/// **Gold reward.** r*(a) = exp(−½((a − a*)/w_r)²) ∈ (0, 1], w_r = 0.1 V,
/// with peak a* = round(0.2 V) (`.lowProbability`: the tail of π_ref) or
/// a* = m (`.highProbability`: the mode of π_ref). The maximum gold reward is
/// 1, at a* alone. Labels are gold.
///
/// **Sizes.** Default V = 99 (K = 100 arms, as in the paper), L = 1, P = 1,
/// 100 responses: exactly enumerable. Prompt features: F = 1, the constant 1.
/// Reward features: K one-hot arm indicators `arm_0 … arm_{V−1}, arm_eos`
/// (a linear reward model over them can represent any reward).
/// Expert: the arm a*.
public struct DidacticBandit: SequenceTask {
  /// Where the reward's peak lies relative to π_ref.
  public enum RewardPlacement: Int32, Sendable, CaseIterable {
    /// The optimum is in the tail of π_ref (a* = round(0.2 V)).
    case lowProbability = 0
    /// The optimum is the mode of π_ref (a* = round(0.7 V)).
    case highProbability = 1
  }

  public let space: SequenceSpace
  public let placement: RewardPlacement
  /// m: the mode of π_ref.
  public let referenceMode: Int
  /// a*: the arm of maximum gold reward.
  public let rewardPeak: Int
  public let referenceWidth: Double
  public let rewardWidth: Double
  /// The logits of π_ref over the V + 1 tokens (the one context).
  public let referenceLogits: [Double]
  /// r*(a) for a = 0 … V (EOS last), indexed by token id.
  public let armRewards: [Double]

  public var name: String { "DidacticBandit" }
  public var promptCount: Int { 1 }
  public var promptProbabilities: [Double] { [1] }
  public var promptFeatureCount: Int { 1 }
  public var promptFeatures: [Double] { [1] }
  public let featureNames: [String]

  /// - Parameters:
  ///   - vocabularySize: V ≥ 1 content tokens (K = V + 1 arms), at most 2^16.
  ///   - placement: where the reward peak lies.
  public init(vocabularySize: Int = 99, placement: RewardPlacement = .lowProbability) throws(SwiftPGError) {
    try require(
      vocabularySize >= 1 && vocabularySize <= 1 << 16,
      "vocabulary_size must be in [1, 65536] (arms = V + 1), got \(vocabularySize)")
    space = try SequenceSpace(vocabularySize: vocabularySize, maxLength: 1)
    self.placement = placement
    let v = Double(vocabularySize)
    referenceMode = Int((0.7 * v).rounded())
    rewardPeak = placement == .lowProbability ? Int((0.2 * v).rounded()) : referenceMode
    referenceWidth = 0.15 * v
    rewardWidth = 0.1 * v
    let m = Double(referenceMode), p = Double(rewardPeak), wr = referenceWidth, ww = rewardWidth
    referenceLogits = (0...vocabularySize).map { a in
      let z = (Double(a) - m) / wr
      return -0.5 * z * z
    }
    armRewards = (0...vocabularySize).map { a in
      let z = (Double(a) - p) / ww
      return _exp(-0.5 * z * z)
    }
    featureNames = (0..<vocabularySize).map { "arm_\($0)" } + ["arm_eos"]
  }

  /// π_ref as probabilities over the V + 1 arms (softmax of `referenceLogits`).
  public var referenceProbabilities: [Double] {
    let mx = referenceLogits.max() ?? 0
    let e = referenceLogits.map { _exp($0 - mx) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  /// The arm (token id 0…V) of a validated one-position response.
  @inline(__always)
  public func arm(tokens: UnsafePointer<Int32>) -> Int { Int(tokens[0]) }

  public func goldReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    armRewards[arm(tokens: tokens)]
  }

  public func rewardFeatures(
    prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>
  ) {
    out.update(repeating: 0, count: space.tokenCount)
    out[arm(tokens: tokens)] = 1
  }

  /// π_ref as a tabular sequence policy: its one logit row (P = 1, the
  /// empty prefix) is `referenceLogits`, so π_ref(a) = softmax(referenceLogits)[a]
  /// = `referenceProbabilities[a]`. A new policy on every call.
  public func referencePolicy() throws(SwiftPGError) -> SequencePolicy? {
    SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 1, logits: referenceLogits))
  }

  public func expertResponse(prompt: Int) -> [Int32] {
    rewardPeak == space.vocabularySize ? [] : [Int32(rewardPeak)]
  }
}
