/// Natural policy gradient (Kakade 2001; REFERENCE.md §4): the natural
/// step of NaturalGradient.swift taken in full, θ ← θ + √(2δ / xᵀFx) x,
/// then the critic fitted to the targets. A (numerically) zero gradient
/// skips the policy step only (`lineSearchStep` −1).
public final class NPG: PolicyGradientLearnerBase<NPG.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: NaturalGradientSettings {
    public var common = CommonFields.naturalGradient
    public var segments = SegmentFields.naturalGradient
    /// δ 0.01, 15 conjugate-gradient iterations, damping 0.1.
    public var natural = NaturalStepFields()

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] { naturalFields }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try segments.validate()
      try natural.validate()
    }
  }

  public static let algorithm = PGAlgorithm.npg
  private let natural = NaturalGradientStep()

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    try natural.update(core, config, d, &s) { (direction) throws(SwiftPGError) -> Int in
      let policy = core.policy
      guard let p1 = NaturalGradientStep.trial(policy.parameters, direction, maxKL: config.maxKL, fraction: 1)
      else { throw core.numerical("the updated policy parameters") }
      try policy.setParameters(p1)
      return 0
    }
  }
}
