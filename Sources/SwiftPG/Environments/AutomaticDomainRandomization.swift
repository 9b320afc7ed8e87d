#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Automatic domain randomisation (ADR) as in OpenAI et al. (2019), "Solving
/// Rubik's Cube with a Robot Hand", §5 and Algorithm 1.
///
/// Each randomised parameter λᵢ has a range [φᵢᴸ, φᵢᴴ] that starts at its
/// nominal value (zero width). For every new episode, with probability
/// p_b one parameter, drawn uniformly, is pinned to one of its two
/// boundaries, drawn uniformly (the others are drawn uniformly from their
/// ranges); with probability 1 − p_b all are drawn from their ranges. The
/// episode's performance — 1 if it succeeded (its return reached
/// `successReturn`), else 0 — goes into the buffer of the boundary it
/// tested; episodes that tested no boundary only count in the statistics.
/// When a buffer holds m results, their mean p̄ decides and the buffer is
/// cleared: p̄ ≥ t_H moves that boundary outwards by Δᵢ (up to the
/// parameter's hard limit), p̄ ≤ t_L moves it inwards by Δᵢ (never past the
/// nominal value), otherwise it stays.
///
/// The ADR entropy is the mean over parameters of log(φᵢᴴ − φᵢᴸ), in nats
/// per dimension (OpenAI's "ADR entropy"); it is undefined (nil) while a
/// range has zero width — the widths are always reported.
///
/// Environments run it natively (`BatchedEnvironment.enableADR`): the
/// boundary of every new episode is drawn inside `step`'s automatic reset,
/// and every finished episode is recorded after the step.
///
/// Boundary tags: an episode that pinned parameter k to its lower boundary
/// has tag 2k, to its upper boundary 2k + 1; −1 tested no boundary.
public struct AutomaticDomainRandomization: Sendable, Equatable {
  /// One randomised parameter (its index among the environment's parameters).
  public struct Parameter: Sendable, Equatable {
    public let index: Int
    public let name: String
    /// The value the range starts from and never narrows past.
    public let nominal: Double
    /// Δᵢ: how far a boundary moves per decision (> 0).
    public let step: Double
    /// Hard limits of the range (nominal inside).
    public let lowerLimit: Double
    public let upperLimit: Double
    public internal(set) var low: Double
    public internal(set) var high: Double

    public var width: Double { high - low }
  }

  /// ADR's hyperparameters.
  public struct Settings: Sendable, Equatable {
    /// p_b: the probability that an episode pins a boundary (0 < p_b ≤ 1).
    /// OpenAI's default is 0.5.
    public var boundaryProbability: Double
    /// m: results per boundary buffer before a decision (≥ 1).
    public var bufferSize: Int
    /// t_H: the success rate at or above which a boundary moves outwards.
    public var upperThreshold: Double
    /// t_L: the success rate at or below which a boundary moves inwards
    /// (0 ≤ t_L < t_H ≤ 1).
    public var lowerThreshold: Double
    /// An episode succeeds when its undiscounted return is ≥ this.
    public var successReturn: Double

    public init(
      boundaryProbability: Double = 0.5, bufferSize: Int = 10, upperThreshold: Double = 0.8,
      lowerThreshold: Double = 0.4, successReturn: Double
    ) {
      self.boundaryProbability = boundaryProbability
      self.bufferSize = bufferSize
      self.upperThreshold = upperThreshold
      self.lowerThreshold = lowerThreshold
      self.successReturn = successReturn
    }

    /// Why these settings are refused, or nil.
    public var problem: String? {
      if !(boundaryProbability > 0 && boundaryProbability <= 1) {
        return "boundary_probability (p_b) must be in (0, 1], got \(boundaryProbability)"
      }
      if bufferSize < 1 || bufferSize > 1 << 20 { return "buffer_size (m) must be in 1 ... 2^20, got \(bufferSize)" }
      if !(lowerThreshold >= 0 && lowerThreshold < upperThreshold && upperThreshold <= 1) {
        return "need 0 <= lower_threshold (t_L) < upper_threshold (t_H) <= 1, got \(lowerThreshold), \(upperThreshold)"
      }
      if !successReturn.isFinite { return "success_return must be finite, got \(successReturn)" }
      return nil
    }
  }

  /// A boundary decision: which parameter, which side, the buffer's mean
  /// and where the boundary moved (`before == after` when it held).
  public struct Decision: Sendable, Equatable {
    public let parameter: Int
    public let upper: Bool
    public let successRate: Double
    public let before: Double
    public let after: Double
  }

  public internal(set) var parameters: [Parameter]
  public let settings: Settings
  /// The boundary buffers: 2k the lower boundary of parameter k, 2k + 1 its upper.
  public internal(set) var buffers: [[Double]]
  /// Episodes recorded, and how many of them tested a boundary / succeeded.
  public internal(set) var episodes = 0
  public internal(set) var boundaryEpisodes = 0
  public internal(set) var successes = 0
  /// Decisions taken (every full buffer), moves among them.
  public internal(set) var decisions = 0
  public internal(set) var moves = 0

  /// - Throws: `.invalidArgument` for bad settings, no parameters, a step
  ///   ≤ 0 or not finite, limits not around the nominal value, or a
  ///   parameter listed twice.
  public init(parameters: [Parameter], settings: Settings) throws(SwiftPGError) {
    if let problem = settings.problem { throw .invalid(problem) }
    try require(!parameters.isEmpty, "ADR needs at least one parameter")
    for (k, p) in parameters.enumerated() {
      try require(p.step.isFinite && p.step > 0, "ADR step of \(p.name) must be finite and > 0, got \(p.step)")
      try require(
        p.lowerLimit.isFinite && p.upperLimit.isFinite && p.lowerLimit <= p.nominal && p.nominal <= p.upperLimit,
        "ADR limits of \(p.name) must be finite with lower <= nominal (\(p.nominal)) <= upper, got "
          + "[\(p.lowerLimit), \(p.upperLimit)]")
      try require(
        p.low <= p.nominal && p.nominal <= p.high && p.low >= p.lowerLimit && p.high <= p.upperLimit,
        "ADR range of \(p.name) [\(p.low), \(p.high)] must hold the nominal value and lie within its limits")
      try require(
        !parameters[..<k].contains { $0.index == p.index }, "ADR parameter \(p.name) is listed twice")
    }
    self.parameters = parameters
    self.settings = settings
    buffers = Array(repeating: [], count: 2 * parameters.count)
  }

  /// A parameter at its nominal value with a zero-width range.
  public static func parameter(
    index: Int, name: String, nominal: Double, step: Double, lowerLimit: Double, upperLimit: Double
  ) -> Parameter {
    Parameter(
      index: index, name: name, nominal: nominal, step: step, lowerLimit: lowerLimit, upperLimit: upperLimit,
      low: nominal, high: nominal)
  }

  /// Mean over parameters of log(width), nats per dimension; nil while a
  /// range has zero width.
  public var entropy: Double? {
    guard parameters.allSatisfy({ $0.width > 0 }) else { return nil }
    return parameters.reduce(0) { $0 + log($1.width) } / Double(parameters.count)
  }

  /// The current ranges as the environment draws them.
  public var ranges: [ParameterRange] { parameters.map { ParameterRange(index: $0.index, low: $0.low, high: $0.high) } }

  /// Records one finished episode: its boundary tag (−1: none) and its
  /// undiscounted return. Returns the decision it triggered, if any (its
  /// buffer reached m results).
  public mutating func record(tag: Int, episodeReturn: Double) -> Decision? {
    let success = episodeReturn >= settings.successReturn
    episodes += 1
    if success { successes += 1 }
    guard tag >= 0 && tag < buffers.count else { return nil }
    boundaryEpisodes += 1
    buffers[tag].append(success ? 1 : 0)
    guard buffers[tag].count >= settings.bufferSize else { return nil }
    let rate = buffers[tag].reduce(0, +) / Double(buffers[tag].count)
    buffers[tag].removeAll(keepingCapacity: true)
    decisions += 1
    let k = tag / 2
    let upper = tag % 2 == 1
    var p = parameters[k]
    let before = upper ? p.high : p.low
    var after = before
    if rate >= settings.upperThreshold {
      after = upper ? Swift.min(p.upperLimit, before + p.step) : Swift.max(p.lowerLimit, before - p.step)
    } else if rate <= settings.lowerThreshold {
      after = upper ? Swift.max(p.nominal, before - p.step) : Swift.min(p.nominal, before + p.step)
    }
    if after != before {
      moves += 1
      if upper { p.high = after } else { p.low = after }
      parameters[k] = p
    }
    return Decision(parameter: k, upper: upper, successRate: rate, before: before, after: after)
  }
}

/// One parameter for `BatchedEnvironment.enableADR`: its name, Δ, hard
/// limits and nominal value (nil: instance 0's current value).
public struct ADRSpec: Sendable {
  public var name: String
  public var step: Double
  public var lowerLimit: Double
  public var upperLimit: Double
  public var nominal: Double?
  public init(name: String, step: Double, lowerLimit: Double, upperLimit: Double, nominal: Double? = nil) {
    self.name = name
    self.step = step
    self.lowerLimit = lowerLimit
    self.upperLimit = upperLimit
    self.nominal = nominal
  }
}
