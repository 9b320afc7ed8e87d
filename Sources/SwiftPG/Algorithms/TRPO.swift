/// TRPO (Schulman et al. 2015; REFERENCE.md §4): the natural step of
/// NaturalGradient.swift with a backtracking line search: θ ← θ + c^j Δ for
/// the first j < `lineSearchSteps` with mean KL(π_old ‖ π_θ) ≤ δ and
/// L(θ) > L(θ_old); none: keep θ_old (`lineSearchStep` −1). A (numerically)
/// zero gradient skips the policy step only. Then the critic is fitted.
public final class TRPO: PolicyGradientLearnerBase<TRPO.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: NaturalGradientSettings {
    public var common = CommonFields.naturalGradient
    public var segments = SegmentFields.naturalGradient
    /// δ 0.01, 15 conjugate-gradient iterations, damping 0.1.
    public var natural = NaturalStepFields()
    /// Step fraction c per backtrack, in (0, 1).
    public var backtrackRatio = 0.8
    /// Backtracking trials (1…100).
    public var lineSearchSteps = 10

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      naturalFields + [
        .int("line_search_steps", \Self.lineSearchSteps), .double("backtrack_ratio", \Self.backtrackRatio),
      ]
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try segments.validate()
      try natural.validate()
      try require(backtrackRatio > 0 && backtrackRatio < 1, "backtrack_ratio must be in (0, 1), got \(backtrackRatio)")
      try Check.range(lineSearchSteps, 1, 100, "line_search_steps")
    }
  }

  public static let algorithm = PGAlgorithm.trpo
  private let natural = NaturalGradientStep()

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    try natural.update(core, config, d, &s) { (direction) throws(SwiftPGError) -> Int in
      let policy = core.policy
      let old = policy.parameters
      let accepted = try backtrackingLineSearch(steps: config.lineSearchSteps, ratio: config.backtrackRatio) {
        (fraction: Double) throws(SwiftPGError) -> Bool in
        guard let p1 = NaturalGradientStep.trial(old, direction, maxKL: config.maxKL, fraction: fraction) else {
          return false
        }
        try policy.setParameters(p1)
        let kl = core.meanKL(d, oldParameters: old)
        let improved = natural.surrogate(policy, d, entropyCoef: config.entropyCoef)
        return kl.isFinite && kl <= config.maxKL && improved > direction.surrogateOld
      }
      if accepted == nil { try policy.setParameters(old) }
      return accepted ?? -1
    }
  }
}
