import CSwiftPG
import SwiftPG

// MARK: Creation

func hiddenLayers(_ sizes: UnsafePointer<Int32>?, _ count: Int32) throws(SwiftPGError) -> [Int] {
  try require(count >= 0 && count <= 64, "num_hidden must be in [0, 64], got \(count)")
  guard count > 0 else { return [] }
  let p = try need(sizes, "hidden_sizes")
  for i in 0..<Int(count) {
    try require(p[i] >= 1 && p[i] <= 1 << 16, "hidden_sizes[\(i)] must be in [1, 65536], got \(p[i])")
  }
  return (0..<Int(count)).map { Int(p[$0]) }
}

func activationValue(_ raw: Int32) throws(SwiftPGError) -> Activation {
  guard let a = Activation(rawValue: raw) else {
    throw .invalid("unknown activation \(raw); expected 0 (tanh) or 1 (relu)")
  }
  return a
}

/// Registers the policy `make` builds (after checking `policy_out`).
private func registerPolicy(_ out: UnsafeMutablePointer<UInt64>?, _ make: () throws(SwiftPGError) -> any Policy)
  throws(SwiftPGError)
{
  try register(policyTable, out, "policy_out") { () throws(SwiftPGError) in PolicyObject(try make()) }
}

@c @implementation
public func swiftpg_policy_create_softmax(
  _ observation_size: Int32, _ num_actions: Int32, _ hidden_sizes: UnsafePointer<Int32>?,
  _ num_hidden: Int32, _ activation: Int32, _ hidden_gain: Double, _ head_gain: Double, _ seed: UInt64,
  _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerPolicy(policy_out) { () throws(SwiftPGError) in
      try SoftmaxPolicy(
        observationSize: Int(observation_size), actionCount: Int(num_actions),
        hidden: try hiddenLayers(hidden_sizes, num_hidden), activation: try activationValue(activation),
        hiddenGain: hidden_gain, headGain: head_gain, seed: seed)
    }
  }
}

@c @implementation
public func swiftpg_policy_create_factored_softmax(
  _ observation_size: Int32, _ factor_sizes: UnsafePointer<Int32>?, _ num_factors: Int32,
  _ hidden_sizes: UnsafePointer<Int32>?, _ num_hidden: Int32, _ activation: Int32, _ hidden_gain: Double,
  _ head_gain: Double, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(num_factors >= 1 && num_factors <= 64, "num_factors must be in [1, 64], got \(num_factors)")
    let p = try need(factor_sizes, "factor_sizes")
    let factors = (0..<Int(num_factors)).map { Int(p[$0]) }
    try registerPolicy(policy_out) { () throws(SwiftPGError) in
      try SoftmaxPolicy(
        observationSize: Int(observation_size), factorSizes: factors,
        hidden: try hiddenLayers(hidden_sizes, num_hidden), activation: try activationValue(activation),
        hiddenGain: hidden_gain, headGain: head_gain, seed: seed)
    }
  }
}

@c @implementation
public func swiftpg_policy_get_factor_sizes(
  _ policy: UInt64, _ factor_sizes_out: UnsafeMutablePointer<Int32>?, _ capacity: Int32,
  _ num_factors_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(policyTable, policy, output: num_factors_out, "num_factors_out") { (o, out) throws(SwiftPGError) in
    let factors: [Int]
    if let c = o.policy as? SoftmaxPolicy {
      factors = c.factorSizes
    } else if case .discrete(let n) = o.policy.actionSpace {
      factors = [n]
    } else {
      throw .invalid("factor sizes are for discrete policies; this one is continuous")
    }
    try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
    if capacity > 0 {
      let dst = try need(factor_sizes_out, "factor_sizes_out")
      try require(
        Int(capacity) >= factors.count, "capacity \(capacity) is smaller than the \(factors.count) factors",
        code: .bufferTooSmall)
      for (k, n) in factors.enumerated() { dst[k] = Int32(n) }
    }
    out.pointee = Int32(factors.count)
  }
}

@c @implementation
public func swiftpg_policy_create_tabular(
  _ num_states: Int32, _ num_actions: Int32, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerPolicy(policy_out) { () throws(SwiftPGError) in
      let model = try TabularLogits(stateCount: Int(num_states), actionCount: Int(num_actions))
      return CategoricalPolicy(model: model, seed: seed)
    }
  }
}

@c @implementation
public func swiftpg_policy_create_linear_features(
  _ feature_size: Int32, _ num_actions: Int32, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerPolicy(policy_out) { () throws(SwiftPGError) in
      let model = try FeatureLogits(featureSize: Int(feature_size), actionCount: Int(num_actions))
      return CategoricalPolicy(model: model, seed: seed)
    }
  }
}

@c @implementation
public func swiftpg_policy_create_gaussian(
  _ observation_size: Int32, _ action_size: Int32, _ hidden_sizes: UnsafePointer<Int32>?, _ num_hidden: Int32,
  _ activation: Int32, _ state_dependent_std: Int32, _ initial_log_std: Double, _ hidden_gain: Double,
  _ head_gain: Double, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(state_dependent_std == 0 || state_dependent_std == 1, "state_dependent_std must be 0 or 1")
    try createGaussian(
      observation_size, action_size, hidden_sizes, num_hidden, activation,
      std: state_dependent_std == 1 ? .stateDependent : .free, initial_log_std, noiseInterval: 4, hidden_gain,
      head_gain, seed, policy_out)
  }
}

@c @implementation
public func swiftpg_policy_create_gsde(
  _ observation_size: Int32, _ action_size: Int32, _ hidden_sizes: UnsafePointer<Int32>?, _ num_hidden: Int32,
  _ activation: Int32, _ initial_log_std: Double, _ noise_interval: Int32, _ hidden_gain: Double,
  _ head_gain: Double, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try createGaussian(
      observation_size, action_size, hidden_sizes, num_hidden, activation, std: .gsde, initial_log_std,
      noiseInterval: Int(noise_interval), hidden_gain, head_gain, seed, policy_out)
  }
}

/// Both Gaussian constructors: validates the C arguments and registers the policy.
private func createGaussian(
  _ observationSize: Int32, _ actionSize: Int32, _ hiddenSizes: UnsafePointer<Int32>?, _ hiddenCount: Int32,
  _ activation: Int32, std: GaussianPolicy.Std, _ initialLogStd: Double, noiseInterval: Int, _ hiddenGain: Double,
  _ headGain: Double, _ seed: UInt64, _ out: UnsafeMutablePointer<UInt64>?
) throws(SwiftPGError) {
  try registerPolicy(out) { () throws(SwiftPGError) in
    try GaussianPolicy(
      observationSize: Int(observationSize), actionSize: Int(actionSize),
      hidden: try hiddenLayers(hiddenSizes, hiddenCount), activation: try activationValue(activation), std: std,
      initialLogStd: initialLogStd, noiseInterval: noiseInterval, hiddenGain: hiddenGain, headGain: headGain,
      seed: seed)
  }
}

@c @implementation
public func swiftpg_policy_create_clamp(_ theta: Double, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try registerPolicy(policy_out) { () throws(SwiftPGError) in try ClampPolicy(theta: theta, seed: seed) }
  }
}

@c @implementation
public func swiftpg_policy_destroy(_ policy: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try policyTable.remove(policy) }
}

// MARK: Sizes and parameters

@c @implementation
public func swiftpg_policy_get_info(_ policy: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_policy_info>?)
  -> Int32
{
  entry(policyTable, policy, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let p = o.policy
    var info = swiftpg_policy_info()
    info.family = p.family.rawValue
    info.observation_size = Int32(p.observationSize)
    (info.action_kind, info.num_actions, info.action_size) = actionFields(p.actionSpace)
    info.num_params = Int64(p.parameterCount)
    out.pointee = info
  }
}

@c @implementation
public func swiftpg_policy_get_sizes(
  _ policy: UInt64, _ observation_size_out: UnsafeMutablePointer<Int32>?,
  _ num_actions_out: UnsafeMutablePointer<Int32>?, _ num_params_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let o1 = try need(observation_size_out, "observation_size_out")
    let o2 = try need(num_actions_out, "num_actions_out")
    let o3 = try need(num_params_out, "num_params_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      o1.pointee = Int32(o.policy.observationSize)
      if case .discrete(let n) = o.policy.actionSpace { o2.pointee = Int32(n) } else { o2.pointee = 0 }
      o3.pointee = Int64(o.policy.parameterCount)
    }
  }
}

/// Reads `count` parameters for an object with `expected` of them (finite).
func readParameters(_ p: UnsafePointer<Double>?, _ count: Int64, expected: Int, _ name: String)
  throws(SwiftPGError) -> [Double]
{
  try require(count == Int64(expected), "count must equal the \(expected) parameters, got \(count)")
  let input = try need(p, name)
  try requireFinite(input, expected, name)
  return Array(UnsafeBufferPointer(start: input, count: expected))
}

/// Copies an object's parameters to a caller buffer of `count` values.
func writeParameters(_ values: [Double], _ out: UnsafeMutablePointer<Double>?, _ count: Int64, _ what: String)
  throws(SwiftPGError)
{
  let buffer = try need(out, "params_out")
  try require(count == Int64(values.count), "count must equal the \(what)'s \(values.count) parameters, got \(count)")
  for (i, v) in values.enumerated() { buffer[i] = v }
}

/// An object behind a handle with one flat parameter vector
/// (`swiftpg_*_get_params` / `_set_params`).
protocol FlatParameters {
  /// "policy", "value function", "reward model", for messages.
  static var noun: String { get }
  /// The object behind the handle that holds the parameters.
  var parameterized: any Parameterized { get }
}

extension FlatParameters {
  var parameters: [Double] { parameterized.parameters }
  var parameterCount: Int { parameterized.parameterCount }
  func setParameters(_ values: [Double]) throws(SwiftPGError) { try parameterized.setParameters(values) }
}

extension SequencePolicyObject: FlatParameters {
  static var noun: String { "sequence policy" }
  var parameterized: any Parameterized { policy }
}

extension RewardModelObject: FlatParameters {
  static var noun: String { "reward model" }
  var parameterized: any Parameterized { model }
}

/// Policies and value functions, which the C ABI treats alike: a flat
/// parameter vector, observations of one size, a network precision, a
/// checkpoint file.
protocol ParameterizedObject: FlatParameters {
  var observationSize: Int { get }
  func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String?
  func setPrecision(_ precision: MLP.Precision) throws(SwiftPGError)
  func save(to path: String) throws(SwiftPGError)
}

extension PolicyObject: ParameterizedObject {
  static var noun: String { "policy" }
  var parameterized: any Parameterized { policy }
  var observationSize: Int { policy.observationSize }
  func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? {
    policy.checkObservations(obs, batch: batch)
  }
  func setPrecision(_ precision: MLP.Precision) throws(SwiftPGError) {
    guard let network = policy.mlp else {
      throw .invalid("only MLP policies (softmax, Gaussian) have a network precision to set")
    }
    network.setPrecision(precision)
  }
  func save(to path: String) throws(SwiftPGError) { try Checkpoint.save(policy, to: path) }
}

extension ValueObject: ParameterizedObject {
  static var noun: String { "value function" }
  var parameterized: any Parameterized { value }
  var observationSize: Int { value.observationSize }
  func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? {
    value.checkObservations(obs, batch: batch)
  }
  func setPrecision(_ precision: MLP.Precision) throws(SwiftPGError) { try value.setPrecision(precision) }
  func save(to path: String) throws(SwiftPGError) { try Checkpoint.save(value, to: path) }
}

extension ParameterizedObject {
  /// Checks the observations `[batch, observationSize]` of a call.
  func observationBatch(_ p: UnsafePointer<Double>?, _ batch: Int64) throws(SwiftPGError)
    -> (UnsafePointer<Double>, Int)
  {
    let obs = try need(p, "observations")
    let b = try checkBatch(batch, width: observationSize)
    try requireFinite(obs, b * observationSize, "observations", width: observationSize)
    if let problem = checkObservations(obs, batch: b) { throw .invalid(problem) }
    return (obs, b)
  }
}

/// A call on a batch of observations that writes `output`: the output
/// pointer, the handle, then the observations are checked before `body`.
private func batchEntry<T: ParameterizedObject, O>(
  _ table: HandleTable<T>, _ handle: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  output: UnsafeMutablePointer<O>?, _ name: String,
  _ body: (T, UnsafePointer<Double>, Int, UnsafeMutablePointer<O>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry(table, handle, output: output, name) { (o, out) throws(SwiftPGError) in
    let (obs, b) = try o.observationBatch(observations, batch)
    try body(o, obs, b, out)
  }
}

func getParameters<T: FlatParameters>(
  _ table: HandleTable<T>, _ handle: UInt64, _ out: UnsafeMutablePointer<Double>?, _ count: Int64
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(table, handle) { (o) throws(SwiftPGError) in try writeParameters(o.parameters, out, count, T.noun) }
  }
}

func setParameters<T: FlatParameters>(
  _ table: HandleTable<T>, _ handle: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(table, handle) { (o) throws(SwiftPGError) in
      try o.setParameters(try readParameters(params, count, expected: o.parameterCount, "params"))
    }
  }
}

private func setPrecision<T: ParameterizedObject>(_ table: HandleTable<T>, _ handle: UInt64, _ bits: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let precision = MLP.Precision(rawValue: bits) else {
      throw .invalid("precision must be 32 or 64 bits, got \(bits)")
    }
    try using(table, handle) { (o) throws(SwiftPGError) in try o.setPrecision(precision) }
  }
}

private func save<T: ParameterizedObject>(_ table: HandleTable<T>, _ handle: UInt64, _ path: UnsafePointer<CChar>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(table, handle) { (o) throws(SwiftPGError) in try o.save(to: file) }
  }
}

@c @implementation
public func swiftpg_policy_get_params(_ policy: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64)
  -> Int32
{
  getParameters(policyTable, policy, params_out, count)
}

@c @implementation
public func swiftpg_policy_set_params(_ policy: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64) -> Int32 {
  setParameters(policyTable, policy, params, count)
}

@c @implementation
public func swiftpg_policy_set_precision(_ policy: UInt64, _ bits: Int32) -> Int32 {
  setPrecision(policyTable, policy, bits)
}

@c @implementation
public func swiftpg_value_set_precision(_ value: UInt64, _ bits: Int32) -> Int32 {
  setPrecision(valueTable, value, bits)
}

@c @implementation
public func swiftpg_policy_seed(_ policy: UInt64, _ seed: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(policyTable, policy) { (o) throws(SwiftPGError) in o.policy.rng = PCG64(seed: UInt128(seed)) }
  }
}

// MARK: Validation of batches

/// Checks an action buffer: discrete actions in range, continuous ones finite.
private func checkActions(_ p: UnsafeRawPointer?, _ batch: Int, _ policy: any Policy) throws(SwiftPGError)
  -> UnsafeRawPointer
{
  guard let p else { throw SwiftPGError(.nullPointer, "actions is NULL") }
  switch policy.actionSpace {
  case .discrete(let n):
    let a = try need(UnsafePointer(p.assumingMemoryBound(to: Int32.self)), "actions")
    for i in 0..<batch where a[i] < 0 || Int(a[i]) >= n {
      throw SwiftPGError(.outOfRange, "actions[\(i)] = \(a[i]) is outside {0, ..., \(n - 1)}")
    }
  case .box(let low, _):
    let a = try need(UnsafePointer(p.assumingMemoryBound(to: Double.self)), "actions")
    try requireFinite(a, batch * low.count, "actions", width: low.count)
  }
  return p
}

private func checkWeights(_ p: UnsafePointer<Double>?, _ batch: Int) throws(SwiftPGError) -> UnsafePointer<Double> {
  let w = try need(p, "weights")
  try requireFinite(w, batch, "weights")
  return w
}

// MARK: Distribution

@c @implementation
public func swiftpg_policy_sample(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ greedy: Int32,
  _ actions_out: UnsafeMutableRawPointer?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let out = actions_out else { throw SwiftPGError(.nullPointer, "actions_out is NULL") }
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try o.observationBatch(observations, batch)
      try requireActionAlignment(out, o.policy.actionSpace, "actions_out")
      var g = o.policy.rng
      guard case .box = o.policy.actionSpace else {
        o.policy.sample(obs, batch: b, greedy: greedy != 0, rawActions: out, using: &g)
        o.policy.rng = g
        return
      }
      // Continuous draws go to the object's scratch first: a σ that overflows
      // (log σ > ~709) gives non-finite actions, refused without writing out.
      let n = b * o.policy.actionSpace.width
      let scratch = o.sampleScratch.reserve(n)
      o.policy.sample(obs, batch: b, greedy: greedy != 0, rawActions: UnsafeMutableRawPointer(scratch), using: &g)
      try requireFiniteResult(scratch, n, "the sampled actions (is log σ too large?)")
      out.assumingMemoryBound(to: Double.self).update(from: scratch, count: n)
      o.policy.rng = g
    }
  }
}

@c @implementation
public func swiftpg_policy_probabilities(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ probabilities_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: probabilities_out, "probabilities_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    guard case .discrete(let n) = o.policy.actionSpace else {
      throw .invalid("probabilities are for discrete policies; this one is continuous")
    }
    if let c = o.policy as? SoftmaxPolicy, c.factorSizes.count > 1 {
      // The joint probabilities from one forward pass (not one per joint action).
      _ = try Limits.product([b, n], limit: 1 << 31, "batch × joint actions")
      c.probabilities(obs, batch: b, into: out)
      try requireFiniteResult(out, b * n, "the probabilities")
      return
    }
    var actions = [Int32](repeating: 0, count: b)
    var logp = [Double](repeating: 0, count: b)
    for k in 0..<n {
      for i in 0..<b { actions[i] = Int32(k) }
      o.policy.logProbabilities(obs, actions: actions, batch: b, into: &logp)
      for i in 0..<b { out[i * n + k] = _exp(logp[i]) }
    }
    try requireFiniteResult(out, b * n, "the probabilities")
  }
}

@c @implementation
public func swiftpg_policy_log_prob(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ actions: UnsafeRawPointer?, _ batch: Int64,
  _ log_probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: log_probs_out, "log_probs_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    o.policy.logProbabilities(obs, actions: try checkActions(actions, b, o.policy), batch: b, into: out)
    try requireFiniteResult(out, b, "the log-probabilities", allowing: -.infinity)
  }
}

@c @implementation
public func swiftpg_policy_entropy(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ entropies_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: entropies_out, "entropies_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    o.policy.entropies(obs, batch: b, into: out)
    try requireFiniteResult(out, b, "the entropies")
  }
}

@c @implementation
public func swiftpg_policy_kl(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ old_params: UnsafePointer<Double>?,
  _ count: Int64, _ kl_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: kl_out, "kl_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    let old = try readParameters(old_params, count, expected: o.policy.parameterCount, "old_params")
    o.policy.klDivergences(obs, batch: b, oldParameters: old, into: out)
    try requireFiniteResult(out, b, "the KL divergences", allowing: .infinity)
  }
}

// MARK: Gradients

@c @implementation
public func swiftpg_policy_score_gradient(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ actions: UnsafeRawPointer?,
  _ weights: UnsafePointer<Double>?, _ batch: Int64, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: gradient_out, "gradient_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    let a = try checkActions(actions, b, o.policy)
    o.policy.scoreGradient(obs, rawActions: a, weights: try checkWeights(weights, b), batch: b, into: out)
    try requireFiniteResult(out, o.policy.parameterCount, "the score gradient")
  }
}

@c @implementation
public func swiftpg_policy_score_vectors(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ actions: UnsafeRawPointer?, _ batch: Int64,
  _ scores_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: scores_out, "scores_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    _ = try checkedProduct(b, o.policy.parameterCount, "batch × num_params")
    o.policy.scoreVectors(obs, actions: try checkActions(actions, b, o.policy), batch: b, into: out)
    try requireFiniteResult(out, b * o.policy.parameterCount, "the score vectors")
  }
}

@c @implementation
public func swiftpg_policy_entropy_gradient(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?, _ batch: Int64,
  _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: gradient_out, "gradient_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    o.policy.entropyGradient(obs, weights: try checkWeights(weights, b), batch: b, into: out)
    try requireFiniteResult(out, o.policy.parameterCount, "the entropy gradient")
  }
}

@c @implementation
public func swiftpg_policy_kl_gradient(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ old_params: UnsafePointer<Double>?, _ count: Int64,
  _ weights: UnsafePointer<Double>?, _ batch: Int64, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: gradient_out, "gradient_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    let old = try readParameters(old_params, count, expected: o.policy.parameterCount, "old_params")
    o.policy.klGradient(obs, oldParameters: old, weights: try checkWeights(weights, b), batch: b, into: out)
    try requireFiniteResult(out, o.policy.parameterCount, "the KL gradient")
  }
}

@c @implementation
public func swiftpg_policy_fisher_vector_product(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ vector: UnsafePointer<Double>?,
  _ count: Int64, _ product_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(policyTable, policy, observations, batch, output: product_out, "product_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    let n = o.policy.parameterCount
    try require(count == Int64(n), "count must equal the \(n) parameters, got \(count)")
    let v = try need(vector, "vector")
    try requireFinite(v, n, "vector")
    o.policy.fisherVectorProduct(obs, batch: b, vector: v, into: out)
    try requireFiniteResult(out, n, "the Fisher-vector product")
  }
}

// MARK: Checkpoints and evaluation

@c @implementation
public func swiftpg_policy_save(_ policy: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  save(policyTable, policy, path)
}

@c @implementation
public func swiftpg_policy_load(_ path: UnsafePointer<CChar>?, _ seed: UInt64, _ policy_out: UnsafeMutablePointer<UInt64>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try registerPolicy(policy_out) { () throws(SwiftPGError) in
      let policy = try Checkpoint.loadPolicy(try cString(path, "path", limit: 4096))
      policy.rng = PCG64(seed: UInt128(seed))
      return policy
    }
  }
}

@c @implementation
public func swiftpg_policy_evaluate(
  _ policy: UInt64, _ env: UInt64, _ episodes: Int32, _ greedy: Int32, _ seed: UInt64,
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  evaluationEntry(returns_out, lengths_out) { (write) throws(SwiftPGError) in
    try using(try policyTable.get(policy), "policy", try envTable.get(env), "environment") {
      (p, e) throws(SwiftPGError) in
      try evaluateEpisodes(
        policy: p.policy, env: e.env, episodes: Int(episodes), greedy: greedy != 0, seed: seed,
        cancellation: e.cancellation, record: write)
    }
  }
}

// MARK: Value functions

/// Registers the value function `make` builds (after checking `value_out`).
private func registerValue(_ out: UnsafeMutablePointer<UInt64>?, _ make: () throws(SwiftPGError) -> ValueFunction)
  throws(SwiftPGError)
{
  try register(valueTable, out, "value_out") { () throws(SwiftPGError) in ValueObject(try make()) }
}

@c @implementation
public func swiftpg_value_create_mlp(
  _ observation_size: Int32, _ hidden_sizes: UnsafePointer<Int32>?, _ num_hidden: Int32, _ activation: Int32,
  _ seed: UInt64, _ value_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerValue(value_out) { () throws(SwiftPGError) in
      try ValueFunction(
        observationSize: Int(observation_size), hidden: try hiddenLayers(hidden_sizes, num_hidden),
        activation: try activationValue(activation), seed: seed)
    }
  }
}

@c @implementation
public func swiftpg_value_create_tabular(_ num_states: Int32, _ value_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerValue(value_out) { () throws(SwiftPGError) in try ValueFunction(tabularStates: Int(num_states)) }
  }
}

@c @implementation
public func swiftpg_value_destroy(_ value: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try valueTable.remove(value) }
}

@c @implementation
public func swiftpg_value_get_sizes(
  _ value: UInt64, _ observation_size_out: UnsafeMutablePointer<Int32>?, _ num_params_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry(valueTable, value, outputs: observation_size_out, "observation_size_out", num_params_out, "num_params_out") {
    (o, o1, o2) throws(SwiftPGError) in
    o1.pointee = Int32(o.value.observationSize)
    o2.pointee = Int64(o.value.parameterCount)
  }
}

@c @implementation
public func swiftpg_value_get_params(_ value: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64)
  -> Int32
{
  getParameters(valueTable, value, params_out, count)
}

@c @implementation
public func swiftpg_value_set_params(_ value: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64) -> Int32 {
  setParameters(valueTable, value, params, count)
}

@c @implementation
public func swiftpg_value_predict(
  _ value: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ values_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(valueTable, value, observations, batch, output: values_out, "values_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    o.value.predict(obs, batch: b, into: out)
    try requireFiniteResult(out, b, "the values")
  }
}

@c @implementation
public func swiftpg_value_gradient(
  _ value: UInt64, _ observations: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?, _ batch: Int64,
  _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  batchEntry(valueTable, value, observations, batch, output: gradient_out, "gradient_out") {
    (o, obs, b, out) throws(SwiftPGError) in
    o.value.gradient(obs, weights: try checkWeights(weights, b), batch: b, into: out)
    try requireFiniteResult(out, o.value.parameterCount, "the value gradient")
  }
}

@c @implementation
public func swiftpg_value_save(_ value: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  save(valueTable, value, path)
}

@c @implementation
public func swiftpg_value_load(_ path: UnsafePointer<CChar>?, _ value_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try registerValue(value_out) { () throws(SwiftPGError) in
      try Checkpoint.loadValueFunction(try cString(path, "path", limit: 4096))
    }
  }
}
