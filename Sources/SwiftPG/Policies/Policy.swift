/// The policy families. Raw values are the C ABI's SWIFTPG_POLICY_* and the
/// family codes of checkpoints.
public enum PolicyFamily: Int32, Sendable, CaseIterable {
  /// Categorical over MLP (or linear, with no hidden layers) logits of the observation.
  case softmaxMLP = 1
  /// Categorical with a table of logits θ[s, a]; observations are one-hot states.
  case tabularSoftmax = 2
  /// Categorical with logits θᵀφ(s, a); observations are the features φ(s, ·), [A, d].
  case linearFeatures = 3
  /// Diagonal Gaussian with an MLP (or linear) mean and a free or state-dependent log σ.
  case gaussian = 4
  /// The two-action lecture example: π(L) = clamp(θ, 0, 1), π(R) = clamp(1 − θ, 0, 1).
  case clamp = 5
  /// Factored categorical over MultiDiscrete actions: Σ_k n_k MLP logits,
  /// π(a|s) = Π_k softmax(z_k)[a_k] over the joint index a = Σ_k a_k Π_{j<k} n_j.
  case factoredSoftmax = 6
}

/// The callback of `Policy.surrogateGradient`: given log π(a_i|s_i) and
/// H(π(·|s_i)) of the batch, writes ws_i = ∂f/∂log π_i and we_i = ∂f/∂H_i.
public typealias SurrogateWeights = (
  _ logProbabilities: UnsafePointer<Double>, _ entropies: UnsafePointer<Double>,
  _ scoreWeights: UnsafeMutablePointer<Double>, _ entropyWeights: UnsafeMutablePointer<Double>
) -> Void

/// A stochastic policy on batches. Observations are row-major
/// `[batch, observationSize]`; discrete actions are `Int32` `[batch]`,
/// continuous ones `Double` `[batch, actionSize]` (the raw pointers carry the
/// family's type; callers validate them). Parameters are one flat vector.
///
/// Every gradient is with respect to the parameters θ and hand-written;
/// tests check each against central finite differences.
public protocol Policy: Parameterized {
  var family: PolicyFamily { get }
  var observationSize: Int { get }
  /// `.discrete(n)` or `.box` of `actionSize` dimensions (unbounded).
  var actionSpace: ActionSpace { get }
  /// The policy's own sampling generator.
  var rng: PCG64 { get set }
  /// Sampling state beyond the generators that a resumed run needs
  /// (gSDE's held noise matrix and its age); empty for most families.
  var samplingState: [Double] { get }
  /// Restores `samplingState` after checking it is one this policy could
  /// hold (throws, changing nothing, otherwise).
  func setSamplingState(_ state: [Double]) throws(SwiftPGError)
  /// The policy's MLP when its parameter vector starts with the network's
  /// (shared-network PPO ties its hidden layers to the critic's); nil for
  /// other families.
  var mlp: MLP? { get }
  /// nil if the observations suit the policy (e.g. one-hot rows for a
  /// tabular policy), else why not. Default: any finite values do.
  func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String?

  /// One action per row; `greedy` takes the mode (argmax / mean).
  func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, rawActions actions: UnsafeMutableRawPointer,
    using rng: inout PCG64)
  /// One action per row drawn from π(·|s_i) with row i's own generator
  /// `generators[i]` (per-lane streams: splitting a batch across threads
  /// or processes gives the same actions), and log π(a_i|s_i) of the drawn
  /// actions from the same forward pass into `logProbabilities` (nil: not
  /// wanted).
  func sample(
    _ obs: UnsafePointer<Double>, batch: Int, rawActions actions: UnsafeMutableRawPointer,
    generators: UnsafeMutablePointer<PCG64>, logProbabilities: UnsafeMutablePointer<Double>?)
  /// log π(a_i|s_i).
  func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>)
  /// H(π(·|s_i)).
  func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>)
  /// KL(π_old(·|s_i) ‖ π_θ(·|s_i)) with π_old given by `oldParameters`.
  func klDivergences(
    _ obs: UnsafePointer<Double>, batch: Int, oldParameters: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>)
  /// Σ_i w_i ∇θ log π(a_i|s_i) (overwrites `gradient`).
  func scoreGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>)
  /// Row i of `out` ([batch, parameterCount]) is ∇θ log π(a_i|s_i).
  /// Default: `scoreGradient` row by row with weight 1.
  func scoreVectors(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>)
  /// Σ_i w_i ∇θ H(π(·|s_i)).
  func entropyGradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>)
  /// Σ_i w_i ∇θ KL(π_old(·|s_i) ‖ π_θ(·|s_i)).
  func klGradient(
    _ obs: UnsafePointer<Double>, oldParameters: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>)
  /// The gradient of a surrogate Σ_i f_i(log π(a_i|s_i), H_i) from one
  /// forward pass: writes log π(a_i|s_i) and H(π(·|s_i)) to
  /// `logProbabilities` and `entropies`, calls `weigh(logp, H, ws, we)`
  /// which fills the derivatives ws_i = ∂f/∂log π_i and we_i = ∂f/∂H_i,
  /// and writes Σ_i ws_i ∇log π_i + we_i ∇H_i to `gradient`.
  func surrogateGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, batch: Int,
    logProbabilities: UnsafeMutablePointer<Double>, entropies: UnsafeMutablePointer<Double>,
    weigh: SurrogateWeights,
    into gradient: UnsafeMutablePointer<Double>)
  /// (1/B) Σ_i F(s_i) v with the Fisher matrix F(s) = E_{a~π}[∇log π ∇log πᵀ]
  /// (the Hessian of the KL at θ_old = θ).
  func fisherVectorProduct(
    _ obs: UnsafePointer<Double>, batch: Int, vector: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>)
}

extension Policy {
  public func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? { nil }
  public var samplingState: [Double] { [] }
  public func setSamplingState(_ state: [Double]) throws(SwiftPGError) {
    try require(state.isEmpty, "a \(family) policy has no sampling state, got \(state.count) values")
  }
  public var mlp: MLP? { nil }

  /// Generic version: row by row with each row's generator, then log π of
  /// the whole batch (families with a batched forward pass override it).
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, rawActions actions: UnsafeMutableRawPointer,
    generators: UnsafeMutablePointer<PCG64>, logProbabilities lp: UnsafeMutablePointer<Double>?
  ) {
    let rowBytes: Int
    switch actionSpace {
    case .discrete: rowBytes = MemoryLayout<Int32>.stride
    case .box: rowBytes = MemoryLayout<Double>.stride * actionWidth
    }
    for r in 0..<batch {
      sample(obs + r * observationSize, batch: 1, greedy: false, rawActions: actions + r * rowBytes,
        using: &generators[r])
    }
    if let lp { logProbabilities(obs, actions: UnsafeRawPointer(actions), batch: batch, into: lp) }
  }

  /// Generic version: separate passes for log π, H, and the two gradients.
  public func surrogateGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, batch: Int,
    logProbabilities lp: UnsafeMutablePointer<Double>, entropies en: UnsafeMutablePointer<Double>,
    weigh: SurrogateWeights,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    logProbabilities(obs, actions: actions, batch: batch, into: lp)
    entropies(obs, batch: batch, into: en)
    let ws = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, 2 * batch))
    defer { ws.deallocate() }
    let we = ws + batch
    weigh(lp, en, ws, we)
    scoreGradient(obs, rawActions: actions, weights: ws, batch: batch, into: gradient)
    var anyEntropy = false
    for i in 0..<batch where we[i] != 0 { anyEntropy = true }
    guard anyEntropy else { return }
    let extra = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, parameterCount))
    defer { extra.deallocate() }
    entropyGradient(obs, weights: we, batch: batch, into: extra)
    for k in 0..<parameterCount { gradient[k] += extra[k] }
  }

  public func scoreVectors(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    // Int32 actions for discrete spaces, Double components for boxes.
    let scalar = if case .discrete = actionSpace { MemoryLayout<Int32>.stride } else { MemoryLayout<Double>.stride }
    let actionStride = actionWidth * scalar
    var one = 1.0
    for r in 0..<batch {
      scoreGradient(
        obs + r * observationSize, rawActions: actions + r * actionStride, weights: &one, batch: 1,
        into: out + r * parameterCount)
    }
  }

  /// Number of scalars per action in an action buffer.
  public var actionWidth: Int { actionSpace.width }

  /// For an empty batch, writes the zero gradient (`parameterCount` zeros)
  /// to `out` and returns true.
  func zeroForEmptyBatch(_ batch: Int, _ out: UnsafeMutablePointer<Double>) -> Bool {
    guard batch == 0 else { return false }
    out.update(repeating: 0, count: parameterCount)
    return true
  }

  /// Runs `body` with the parameters temporarily replaced by `values`.
  func withParameters<R>(_ values: UnsafePointer<Double>, _ body: () -> R) -> R {
    let saved = parameters
    _ = try? setParameters(Array(UnsafeBufferPointer(start: values, count: parameterCount)))
    defer { _ = try? setParameters(saved) }
    return body()
  }
}

/// A scratch buffer of doubles that grows to the largest size requested and
/// is reused (no allocation per call in steady state). Not thread-safe.
public final class ScratchBuffer {
  public private(set) var pointer: UnsafeMutablePointer<Double>
  private var capacity: Int

  public init() {
    capacity = 16
    pointer = .allocate(capacity: capacity)
  }

  deinit { pointer.deallocate() }

  /// A buffer of at least `count` doubles (contents unspecified).
  public func reserve(_ count: Int) -> UnsafeMutablePointer<Double> {
    if count > capacity {
      pointer.deallocate()
      capacity = Swift.max(count, 2 * capacity)
      pointer = .allocate(capacity: capacity)
    }
    return pointer
  }
}
