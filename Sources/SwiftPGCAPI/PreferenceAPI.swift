import CSwiftPG
import SwiftPG

// The C ABI of issue 15's reward models, preference losses, best-of-n,
// rank correlations and preference trainers (Include/swiftpg.h,
// "Sequences and preferences"). Every pointer, size and value is checked
// before work; outputs are written after the work succeeded.

// MARK: Shared checks

/// `count` doubles of a C array, or nil for a NULL optional array.
func optionalArray(_ p: UnsafePointer<Double>?, _ count: Int, _ name: String) throws(SwiftPGError) -> [Double]? {
  guard p != nil else { return nil }
  return Array(UnsafeBufferPointer(start: try need(p, name), count: count))
}

/// Writes a per-epoch history to an optional caller buffer.
private func writeHistory(_ values: [Double], _ out: UnsafeMutablePointer<Double>?) {
  if let out { copyOut(values, out) }
}

/// `swiftpg_pairwise_stats` of a result.
private func pairwiseStats(_ r: PreferenceLosses.PairwiseResult) -> swiftpg_pairwise_stats {
  swiftpg_pairwise_stats(loss: r.loss, accuracy: r.accuracy, mean_margin: r.meanMargin)
}

/// `swiftpg_direct_stats` of a result.
private func directStats(_ r: PreferenceLosses.DirectResult) -> swiftpg_direct_stats {
  swiftpg_direct_stats(
    loss: r.loss, chosen_reward: r.chosenReward, rejected_reward: r.rejectedReward,
    reward_accuracy: r.rewardAccuracy, reward_margin: r.rewardMargin)
}

/// The epochs of a config, checked so that per-epoch outputs are sized.
private func epochCount(_ epochs: Int32) throws(SwiftPGError) -> Int {
  try require(epochs >= 1 && epochs <= 1 << 20, "epochs must be in [1, 2^20], got \(epochs)")
  return Int(epochs)
}

// MARK: Reward models

final class RewardModelObject {
  let model: RewardModel
  /// Set by `swiftpg_cancel` on the handle; `fit` checks it per minibatch.
  let cancellation = CancellationFlag()
  init(_ model: RewardModel) {
    self.model = model
    model.cancellation = cancellation
  }
}

@c @implementation
public func swiftpg_reward_model_fit_default_config(
  _ config_out: UnsafeMutablePointer<swiftpg_reward_model_fit_config>?
) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = RewardModel.FitConfig()
    return swiftpg_reward_model_fit_config(
      size: size, epochs: Int32(d.epochs), learning_rate: d.learningRate, minibatch_size: Int32(d.minibatchSize),
      standardize: d.standardize ? 1 : 0, weight_decay: d.weightDecay, centring: d.centring, seed: d.seed)
  }
}

private func fitConfig(_ config: UnsafePointer<swiftpg_reward_model_fit_config>?) throws(SwiftPGError)
  -> RewardModel.FitConfig
{
  let c = try readConfig(config)
  try require(c.standardize == 0 || c.standardize == 1, "standardize must be 0 or 1, got \(c.standardize)")
  _ = try epochCount(c.epochs)
  return RewardModel.FitConfig(
    epochs: Int(c.epochs), minibatchSize: Int(c.minibatch_size), learningRate: c.learning_rate,
    weightDecay: c.weight_decay, centring: c.centring, seed: c.seed, standardize: c.standardize == 1)
}

@c @implementation
public func swiftpg_reward_model_create(
  _ num_features: Int32, _ hidden_sizes: UnsafePointer<Int32>?, _ num_hidden: Int32, _ activation: Int32,
  _ seed: UInt64, _ reward_model_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(num_features >= 1, "num_features must be >= 1, got \(num_features)")
    try require(
      Int(num_features) <= MLP.maxLayerSize, "num_features must be at most \(MLP.maxLayerSize) (the widest MLP layer), "
        + "got \(num_features)", code: .tooLarge)
    let hidden = try hiddenLayers(hidden_sizes, num_hidden)
    let act = try activationValue(activation)
    try register(rewardModelTable, reward_model_out, "reward_model_out") { () throws(SwiftPGError) in
      RewardModelObject(
        try RewardModel(featureCount: Int(num_features), hiddenSizes: hidden, activation: act, seed: seed))
    }
  }
}

@c @implementation
public func swiftpg_reward_model_destroy(_ reward_model: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try rewardModelTable.remove(reward_model) }
}

@c @implementation
public func swiftpg_reward_model_get_info(
  _ reward_model: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_reward_model_info>?
) -> Int32 {
  entry(rewardModelTable, reward_model, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let m = o.model
    out.pointee = swiftpg_reward_model_info(
      num_features: Int32(m.featureCount), num_hidden: Int32(m.hiddenSizes.count), activation: m.activation.rawValue,
      standardized: m.featureMean == nil ? 0 : 1, num_params: Int64(m.parameterCount))
  }
}

@c @implementation
public func swiftpg_reward_model_get_params(
  _ reward_model: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64
) -> Int32 { getParameters(rewardModelTable, reward_model, params_out, count) }

@c @implementation
public func swiftpg_reward_model_set_params(_ reward_model: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64)
  -> Int32
{ setParameters(rewardModelTable, reward_model, params, count) }

@c @implementation
public func swiftpg_reward_model_hidden_sizes(_ reward_model: UInt64, _ sizes_out: UnsafeMutablePointer<Int32>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try using(rewardModelTable, reward_model) { (o) throws(SwiftPGError) in
      try copyOutUnlessEmpty(o.model.hiddenSizes.map { Int32($0) }, sizes_out, "sizes_out")
    }
  }
}

// MARK: Reward-model checkpoints

@c @implementation
public func swiftpg_reward_model_save(_ reward_model: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(rewardModelTable, reward_model) { (o) throws(SwiftPGError) in try Checkpoint.save(o.model, to: file) }
  }
}

@c @implementation
public func swiftpg_reward_model_load(_ path: UnsafePointer<CChar>?, _ reward_model_out: UnsafeMutablePointer<UInt64>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try register(rewardModelTable, reward_model_out, "reward_model_out") { () throws(SwiftPGError) in
      RewardModelObject(try Checkpoint.loadRewardModel(try cString(path, "path", limit: 4096)))
    }
  }
}

@c @implementation
public func swiftpg_reward_model_serialize(
  _ reward_model: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64,
  _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(rewardModelTable, reward_model, buffer, capacity, size_out) { (o) in
    RewardModelRecord.serialize(o.model)
  }
}

@c @implementation
public func swiftpg_reward_model_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ reward_model_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, rewardModelTable, reward_model_out, "reward_model_out") {
    (data) throws(SwiftPGError) in RewardModelObject(try RewardModelRecord.deserialize(data))
  }
}

/// `rows` feature rows `[rows, K]` of the model (rows >= 1, finite).
private func featureRows(_ p: UnsafePointer<Double>?, _ rows: Int64, _ k: Int, _ name: String, group: Int = 1)
  throws(SwiftPGError) -> (values: [Double], rows: Int)
{
  try require(rows >= 1, "\(name): at least one row is needed, got \(rows)")
  let n = try checkBatch(rows, width: 1, "count")
  let total = try Limits.product([n, group, k], limit: Limits.maxScratchElements, name)
  return (try finiteArray(p, total, name), n)
}

@c @implementation
public func swiftpg_reward_model_predict(
  _ reward_model: UInt64, _ features: UnsafePointer<Double>?, _ batch: Int64,
  _ rewards_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(rewardModelTable, reward_model, output: rewards_out, "rewards_out") { (o, out) throws(SwiftPGError) in
    let (x, n) = try featureRows(features, batch, o.model.featureCount, "features")
    copyOut(try o.model.predict(x, rows: n), out)
  }
}

@c @implementation
public func swiftpg_reward_model_pair_accuracy(
  _ reward_model: UInt64, _ chosen: UnsafePointer<Double>?, _ rejected: UnsafePointer<Double>?, _ count: Int64,
  _ accuracy_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(rewardModelTable, reward_model, output: accuracy_out, "accuracy_out") { (o, out) throws(SwiftPGError) in
    let k = o.model.featureCount
    let (c, n) = try featureRows(chosen, count, k, "chosen")
    let r = try featureRows(rejected, count, k, "rejected").values
    out.pointee = try o.model.pairAccuracy(chosen: c, rejected: r, pairs: n)
  }
}

/// A fit entry point: the config and the optional outputs first, then
/// `body` with the model; the history is written after it succeeded.
private func rewardModelFitEntry(
  _ reward_model: UInt64, _ config: UnsafePointer<swiftpg_reward_model_fit_config>?,
  _ loss_out: UnsafeMutablePointer<Double>?, _ accuracy_out: UnsafeMutablePointer<Double>?,
  _ body: (RewardModel, RewardModel.FitConfig) throws(SwiftPGError) -> RewardModel.FitHistory
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try fitConfig(config)
    let lossOut = try needIfPresent(loss_out, "loss_out")
    let accuracyOut = try needIfPresent(accuracy_out, "accuracy_out")
    try using(rewardModelTable, reward_model) { (o) throws(SwiftPGError) in
      let h = try body(o.model, c)
      writeHistory(h.loss, lossOut)
      writeHistory(h.accuracy, accuracyOut)
    }
  }
}

@c @implementation
public func swiftpg_reward_model_fit_pairs(
  _ reward_model: UInt64, _ chosen: UnsafePointer<Double>?, _ rejected: UnsafePointer<Double>?,
  _ margins: UnsafePointer<Double>?, _ count: Int64, _ config: UnsafePointer<swiftpg_reward_model_fit_config>?,
  _ loss_out: UnsafeMutablePointer<Double>?, _ accuracy_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rewardModelFitEntry(reward_model, config, loss_out, accuracy_out) { (m, c) throws(SwiftPGError) in
    let (x, n) = try featureRows(chosen, count, m.featureCount, "chosen")
    let y = try featureRows(rejected, count, m.featureCount, "rejected").values
    let margin = try optionalArray(margins, n, "margins")
    return try m.fit(chosen: x, rejected: y, pairs: n, margins: margin, config: c)
  }
}

@c @implementation
public func swiftpg_reward_model_fit_rankings(
  _ reward_model: UInt64, _ candidates: UnsafePointer<Double>?, _ rankings: UnsafePointer<Int32>?, _ count: Int64,
  _ k: Int32, _ config: UnsafePointer<swiftpg_reward_model_fit_config>?, _ loss_out: UnsafeMutablePointer<Double>?,
  _ accuracy_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rewardModelFitEntry(reward_model, config, loss_out, accuracy_out) { (m, c) throws(SwiftPGError) in
    try require(k >= 2 && k <= 1 << 16, "k must be in [2, 65536], got \(k)")
    let (x, n) = try featureRows(candidates, count, m.featureCount, "candidates", group: Int(k))
    let r = Array(UnsafeBufferPointer(start: try need(rankings, "rankings"), count: n * Int(k)))
    return try m.fit(candidates: x, rankings: r, k: Int(k), count: n, config: c)
  }
}

// MARK: Preference losses

/// A loss entry point: `count` (>= 1) checked, the optional derivative
/// outputs and the required stats output first; `body` computes the
/// statistics and the derivatives, written after it succeeded.
private func lossEntry<S>(
  _ count: Int64, width: Int = 1, _ stats_out: UnsafeMutablePointer<S>?,
  _ derivatives: [(UnsafeMutablePointer<Double>?, String)],
  _ body: (Int) throws(SwiftPGError) -> (S, [[Double]])
) -> Int32 {
  entry(output: stats_out, "stats_out") { (out) throws(SwiftPGError) in
    var outs: [UnsafeMutablePointer<Double>?] = []
    for (p, name) in derivatives { outs.append(try needIfPresent(p, name)) }
    try require(count >= 1, "count must be >= 1 (at least one comparison), got \(count)")
    let n = try arrayCount(count)
    _ = try Limits.product([n, width], limit: Limits.maxScratchElements, "count × k")
    let (stats, d) = try body(n)
    out.pointee = stats
    for (values, p) in zip(d, outs) { if let p { copyOut(values, p) } }
  }
}

@c @implementation
public func swiftpg_bradley_terry_loss(
  _ count: Int64, _ chosen: UnsafePointer<Double>?, _ rejected: UnsafePointer<Double>?,
  _ margins: UnsafePointer<Double>?, _ centring: Double, _ stats_out: UnsafeMutablePointer<swiftpg_pairwise_stats>?,
  _ d_chosen_out: UnsafeMutablePointer<Double>?, _ d_rejected_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  lossEntry(count, stats_out, [(d_chosen_out, "d_chosen_out"), (d_rejected_out, "d_rejected_out")]) {
    (n) throws(SwiftPGError) in
    let c = try finiteArray(chosen, n, "chosen")
    let r = try finiteArray(rejected, n, "rejected")
    let m = try optionalArray(margins, n, "margins")
    var dc: [Double] = [], dr: [Double] = []
    let s = try PreferenceLosses.bradleyTerry(
      chosen: c, rejected: r, margins: m, centring: centring, dChosen: &dc, dRejected: &dr)
    return (pairwiseStats(s), [dc, dr])
  }
}

@c @implementation
public func swiftpg_ranking_loss(
  _ count: Int64, _ k: Int32, _ scores: UnsafePointer<Double>?, _ rankings: UnsafePointer<Int32>?,
  _ stats_out: UnsafeMutablePointer<swiftpg_pairwise_stats>?, _ d_scores_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  guard k >= 2 && k <= 1 << 16 else {
    return entry { () throws(SwiftPGError) in throw .invalid("k must be in [2, 65536], got \(k)") }
  }
  return lossEntry(count, width: Int(k), stats_out, [(d_scores_out, "d_scores_out")]) {
    (n) throws(SwiftPGError) in
    let s = try finiteArray(scores, n * Int(k), "scores")
    let r = Array(UnsafeBufferPointer(start: try need(rankings, "rankings"), count: n * Int(k)))
    var ds: [Double] = []
    let stats = try PreferenceLosses.ranking(scores: s, rankings: r, k: Int(k), dScores: &ds)
    return (pairwiseStats(stats), [ds])
  }
}

@c @implementation
public func swiftpg_direct_loss(
  _ loss_kind: Int32, _ count: Int64, _ policy_chosen: UnsafePointer<Double>?,
  _ policy_rejected: UnsafePointer<Double>?, _ reference_chosen: UnsafePointer<Double>?,
  _ reference_rejected: UnsafePointer<Double>?, _ beta: Double, _ label_smoothing: Double,
  _ weights: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_direct_stats>?,
  _ d_chosen_out: UnsafeMutablePointer<Double>?, _ d_rejected_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  lossEntry(count, stats_out, [(d_chosen_out, "d_chosen_out"), (d_rejected_out, "d_rejected_out")]) {
    (n) throws(SwiftPGError) in
    guard let kind = DPO.Loss(rawValue: loss_kind) else {
      throw .invalid("unknown loss_kind \(loss_kind); expected 0 (DPO) or 1 (IPO)")
    }
    try require(kind == .dpo || label_smoothing == 0, "label_smoothing applies to the DPO loss only")
    let pc = try finiteArray(policy_chosen, n, "policy_chosen")
    let pr = try finiteArray(policy_rejected, n, "policy_rejected")
    let rc = try finiteArray(reference_chosen, n, "reference_chosen")
    let rr = try finiteArray(reference_rejected, n, "reference_rejected")
    let w = try optionalArray(weights, n, "weights")
    var dc: [Double] = [], dr: [Double] = []
    let r =
      switch kind {
      case .dpo:
        try PreferenceLosses.dpo(
          policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, beta: beta,
          labelSmoothing: label_smoothing, weights: w, dPolicyChosen: &dc, dPolicyRejected: &dr)
      case .ipo:
        try PreferenceLosses.ipo(
          policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, tau: beta, weights: w,
          dPolicyChosen: &dc, dPolicyRejected: &dr)
      }
    return (directStats(r), [dc, dr])
  }
}

// MARK: Best-of-n and rank correlations

@c @implementation
public func swiftpg_best_of_n_select(
  _ rows: Int64, _ n: Int64, _ scores: UnsafePointer<Double>?, _ seed: UInt64, _ first_row: Int64,
  _ selected_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(output: selected_out, "selected_out") { (out) throws(SwiftPGError) in
    try require(rows >= 1, "rows must be >= 1, got \(rows)")
    try require(n >= 1 && n <= Int64(Int32.max), "n must be in [1, 2^31), got \(n)")
    let r = try arrayCount(rows, "rows")
    let cells = try Limits.product([r, Int(n)], limit: Limits.maxScratchElements, "scores [rows, n]")
    try checkFirstRow(first_row, count: r, "first_row")
    let s = try finiteArray(scores, cells, "scores")
    copyOut(try BestOfN.select(scores: s, rows: r, n: Int(n), seed: seed, firstRow: Int(first_row)), out)
  }
}

/// A best-of-n figure over `count` responses: base probabilities and
/// scores read and checked, n in [1, 2^40].
private func bestOfNEntry<O>(
  _ count: Int64, _ base_probs: UnsafePointer<Double>?, _ scores: UnsafePointer<Double>?, _ n: Int64,
  _ output: UnsafeMutablePointer<O>?, _ outName: String,
  _ body: ([Double], [Double], Int, UnsafeMutablePointer<O>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(output, outName)
    try require(count >= 1, "count must be >= 1, got \(count)")
    try require(n >= 1 && n <= Int64(BestOfN.maxSamples), "n must be in [1, 2^40], got \(n)")
    let m = try arrayCount(count)
    try body(try finiteArray(base_probs, m, "base_probs"), try finiteArray(scores, m, "scores"), Int(n), out)
  }
}

@c @implementation
public func swiftpg_best_of_n_distribution(
  _ count: Int64, _ base_probs: UnsafePointer<Double>?, _ scores: UnsafePointer<Double>?, _ n: Int64,
  _ probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  bestOfNEntry(count, base_probs, scores, n, probs_out, "probs_out") { (p, s, n, out) throws(SwiftPGError) in
    copyOut(try BestOfN.distribution(base: p, scores: s, n: n), out)
  }
}

@c @implementation
public func swiftpg_best_of_n_kl(
  _ count: Int64, _ base_probs: UnsafePointer<Double>?, _ scores: UnsafePointer<Double>?, _ n: Int64,
  _ kl_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  bestOfNEntry(count, base_probs, scores, n, kl_out, "kl_out") { (p, s, n, out) throws(SwiftPGError) in
    out.pointee = try BestOfN.klExact(base: p, scores: s, n: n)
  }
}

@c @implementation
public func swiftpg_best_of_n_kl_bound(_ n: Int64, _ bound_out: UnsafeMutablePointer<Double>?) -> Int32 {
  entry(output: bound_out, "bound_out") { (out) throws(SwiftPGError) in
    try require(n >= 1 && n <= Int64(BestOfN.maxSamples), "n must be in [1, 2^40], got \(n)")
    out.pointee = try BestOfN.klBound(n: Int(n))
  }
}

@c @implementation
public func swiftpg_rank_correlation(
  _ method: Int32, _ count: Int64, _ x: UnsafePointer<Double>?, _ y: UnsafePointer<Double>?,
  _ correlation_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: correlation_out, "correlation_out") { (out) throws(SwiftPGError) in
    try require(method == 0 || method == 1, "method must be 0 (Spearman) or 1 (Kendall tau-b), got \(method)")
    try require(count >= 2, "count must be >= 2, got \(count)")
    let n = try arrayCount(count)
    let a = try finiteArray(x, n, "x")
    let b = try finiteArray(y, n, "y")
    out.pointee = method == 0 ? try RankCorrelation.spearman(a, b) : try RankCorrelation.kendallTauB(a, b)
  }
}

// MARK: Preference trainers

/// An SFT or DPO trainer with the sequence policies it trains and reads,
/// held (BUSY to other threads) while it works.
final class PreferenceTrainerObject {
  enum Trainer {
    case sft(SFT)
    case dpo(DPO)
  }
  let trainer: Trainer
  let policy: Guarded<SequencePolicyObject>
  let reference: Guarded<SequencePolicyObject>?

  /// Set by `swiftpg_cancel` on the handle; `fit` checks it per minibatch.
  let cancellation = CancellationFlag()

  init(_ trainer: Trainer, policy: Guarded<SequencePolicyObject>, reference: Guarded<SequencePolicyObject>? = nil) {
    self.trainer = trainer
    self.policy = policy
    self.reference = reference
    switch trainer {
    case .sft(let s): s.trainer.cancellation = cancellation
    case .dpo(let d): d.cancellation = cancellation
    }
  }

  /// Runs `body` with the policies acquired (BUSY otherwise).
  func exclusive(_ body: () throws(SwiftPGError) -> Void) throws(SwiftPGError) {
    var objects: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
      (policy.tryAcquire, policy.release, "sequence policy")
    ]
    if let reference { objects.append((reference.tryAcquire, reference.release, "reference policy")) }
    try usingAll(objects, body)
  }

  func sft() throws(SwiftPGError) -> SFT {
    guard case .sft(let s) = trainer else { throw .invalid("this trainer handle is not an SFT trainer") }
    return s
  }

  func dpo() throws(SwiftPGError) -> DPO {
    guard case .dpo(let d) = trainer else { throw .invalid("this trainer handle is not a DPO trainer") }
    return d
  }
}

/// Runs `body` with the trainer behind `handle` and its policies held.
private func usingTrainer(_ handle: UInt64, _ body: (PreferenceTrainerObject) throws(SwiftPGError) -> Void)
  throws(SwiftPGError)
{
  try using(preferenceTrainerTable, handle) { (t) throws(SwiftPGError) in
    try t.exclusive { () throws(SwiftPGError) in try body(t) }
  }
}

/// A response batch as the teacher-forced examples of `policy`.
private func examples(_ b: ResponseBatch, _ policy: SequencePolicy) throws(SwiftPGError) -> SequenceExamples {
  let (x, y, n) = b.arrays(maxLength: policy.space.maxLength)
  return try SequenceExamples(
    space: policy.space, promptCount: policy.promptCount, prompts: x, tokens: y, lengths: n)
}

@c @implementation
public func swiftpg_sft_default_config(_ config_out: UnsafeMutablePointer<swiftpg_sft_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = SFT.defaultConfig
    return swiftpg_sft_config(
      size: size, minibatch_size: Int32(d.minibatchSize), epochs: Int32(d.epochs), reserved: 0,
      learning_rate: d.learningRate, weight_decay: d.weightDecay, seed: d.seed)
  }
}

@c @implementation
public func swiftpg_sft_create(
  _ seq_policy: UInt64, _ config: UnsafePointer<swiftpg_sft_config>?, _ trainer_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    let training = SupervisedTrainer.Config(
      epochs: Int(c.epochs), minibatchSize: Int(c.minibatch_size), learningRate: c.learning_rate,
      weightDecay: c.weight_decay, seed: c.seed)
    let policy = try sequencePolicyTable.get(seq_policy)
    try register(preferenceTrainerTable, trainer_out, "trainer_out") { () throws(SwiftPGError) in
      var made: SFT? = nil
      try usingAll([(policy.tryAcquire, policy.release, "sequence policy")]) { () throws(SwiftPGError) in
        made = try SFT(policy: policy.object.policy, config: training)
      }
      guard let made else { throw SwiftPGError(.internalError, "the trainer was not made") }
      return PreferenceTrainerObject(.sft(made), policy: policy)
    }
  }
}

@c @implementation
public func swiftpg_sft_fit(
  _ trainer: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ held_out_prompts: UnsafePointer<Int32>?,
  _ held_out_tokens: UnsafePointer<Int32>?, _ held_out_lengths: UnsafePointer<Int32>?, _ held_out_batch: Int64,
  _ loss_out: UnsafeMutablePointer<Double>?, _ accuracy_out: UnsafeMutablePointer<Double>?,
  _ held_out_loss_out: UnsafeMutablePointer<Double>?, _ held_out_accuracy_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let outs = [
      try needIfPresent(loss_out, "loss_out"), try needIfPresent(accuracy_out, "accuracy_out"),
      try needIfPresent(held_out_loss_out, "held_out_loss_out"),
      try needIfPresent(held_out_accuracy_out, "held_out_accuracy_out"),
    ]
    try require(
      held_out_prompts != nil || held_out_batch == 0,
      "held_out_batch must be 0 without a held-out set (held_out_prompts NULL), got \(held_out_batch)")
    try usingTrainer(trainer) { (t) throws(SwiftPGError) in
      let sft = try t.sft()
      let l = sft.policy.space.maxLength
      let demos = try examples(try ResponseBatch(prompts, tokens, lengths, batch, maxLength: l), sft.policy)
      var held: SequenceExamples? = nil
      if held_out_prompts != nil {
        try require(held_out_batch >= 1, "held_out_batch must be >= 1 with a held-out set, got \(held_out_batch)")
        held = try examples(
          try ResponseBatch(
            held_out_prompts, held_out_tokens, held_out_lengths, held_out_batch, maxLength: l,
            names: ("held_out_prompts", "held_out_tokens", "held_out_lengths", "held_out_batch")),
          sft.policy)
        try require(held?.count ?? 0 > 0, "the held-out set is empty")
      }
      let h = try sft.fit(demos, heldOut: held)
      for (values, out) in zip([h.loss, h.accuracy, h.heldOutLoss, h.heldOutAccuracy], outs) {
        writeHistory(values, out)
      }
    }
  }
}

@c @implementation
public func swiftpg_sft_evaluate(
  _ trainer: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ loss_out: UnsafeMutablePointer<Double>?,
  _ accuracy_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: loss_out, "loss_out") { (lossOut) throws(SwiftPGError) in
    let accuracyOut = try need(accuracy_out, "accuracy_out")
    try usingTrainer(trainer) { (t) throws(SwiftPGError) in
      let sft = try t.sft()
      let b = try ResponseBatch(prompts, tokens, lengths, batch, maxLength: sft.policy.space.maxLength)
      let r = try sft.evaluate(try examples(b, sft.policy))
      lossOut.pointee = r.loss
      accuracyOut.pointee = r.accuracy
    }
  }
}

@c @implementation
public func swiftpg_dpo_default_config(_ config_out: UnsafeMutablePointer<swiftpg_dpo_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = DPO.Config()
    return swiftpg_dpo_config(
      size: size, loss: d.loss.rawValue, beta: d.beta, label_smoothing: d.labelSmoothing, epochs: Int32(d.epochs),
      minibatch_size: Int32(d.minibatchSize), learning_rate: d.learningRate, seed: d.seed)
  }
}

@c @implementation
public func swiftpg_dpo_create(
  _ policy: UInt64, _ reference: UInt64, _ config: UnsafePointer<swiftpg_dpo_config>?,
  _ trainer_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    guard let loss = DPO.Loss(rawValue: c.loss) else {
      throw .invalid("unknown loss \(c.loss); expected 0 (DPO) or 1 (IPO)")
    }
    var settings = DPO.Config()
    settings.loss = loss
    settings.beta = c.beta
    settings.labelSmoothing = c.label_smoothing
    settings.training = SupervisedTrainer.Config(
      epochs: Int(c.epochs), minibatchSize: Int(c.minibatch_size), learningRate: c.learning_rate, seed: c.seed)
    try require(
      policy != reference, "the reference must be another sequence policy (a frozen copy), not the policy itself")
    let p = try sequencePolicyTable.get(policy)
    let r = try sequencePolicyTable.get(reference)
    try register(preferenceTrainerTable, trainer_out, "trainer_out") { () throws(SwiftPGError) in
      var made: DPO? = nil
      try using(p, "sequence policy", r, "reference policy") { (a, b) throws(SwiftPGError) in
        made = try DPO(policy: a.policy, reference: b.policy, config: settings)
      }
      guard let made else { throw SwiftPGError(.internalError, "the trainer was not made") }
      return PreferenceTrainerObject(.dpo(made), policy: p, reference: r)
    }
  }
}

/// A DPO call: the stats output checked by the caller, then the pairs read
/// against the trainer's policy.
private func dpoEntry(
  _ trainer: UInt64, _ prompts: UnsafePointer<Int32>?, _ chosen_tokens: UnsafePointer<Int32>?,
  _ chosen_lengths: UnsafePointer<Int32>?, _ rejected_tokens: UnsafePointer<Int32>?,
  _ rejected_lengths: UnsafePointer<Int32>?, _ count: Int64, _ weights: UnsafePointer<Double>?,
  _ body: (DPO, PreferencePairs) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  try usingTrainer(trainer) { (t) throws(SwiftPGError) in
    let dpo = try t.dpo()
    let p = dpo.policy
    let l = p.space.maxLength
    try require(count >= 1, "count must be >= 1 (the comparison set is empty), got \(count)")
    let (x, yw, nw) = try ResponseBatch(
      prompts, chosen_tokens, chosen_lengths, count, maxLength: l,
      names: ("prompts", "chosen_tokens", "chosen_lengths", "count")
    ).arrays(
      maxLength: l)
    let (_, yl, nl) = try ResponseBatch(
      prompts, rejected_tokens, rejected_lengths, count, maxLength: l,
      names: ("prompts", "rejected_tokens", "rejected_lengths", "count")
    ).arrays(
      maxLength: l)
    let w = try optionalArray(weights, x.count, "weights")
    let pairs = try PreferencePairs(
      space: p.space, promptCount: p.promptCount, prompts: x, chosenTokens: yw, chosenLengths: nw,
      rejectedTokens: yl, rejectedLengths: nl, weights: w)
    try body(dpo, pairs)
  }
}

@c @implementation
public func swiftpg_dpo_fit(
  _ trainer: UInt64, _ prompts: UnsafePointer<Int32>?, _ chosen_tokens: UnsafePointer<Int32>?,
  _ chosen_lengths: UnsafePointer<Int32>?, _ rejected_tokens: UnsafePointer<Int32>?,
  _ rejected_lengths: UnsafePointer<Int32>?, _ count: Int64, _ weights: UnsafePointer<Double>?,
  _ stats_out: UnsafeMutablePointer<swiftpg_direct_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try needIfPresent(stats_out, "stats_out")
    try dpoEntry(trainer, prompts, chosen_tokens, chosen_lengths, rejected_tokens, rejected_lengths, count, weights) {
      (dpo, pairs) throws(SwiftPGError) in
      let history = try dpo.fit(pairs)
      if let out { copyOut(history.map(directStats), out) }
    }
  }
}

@c @implementation
public func swiftpg_dpo_evaluate(
  _ trainer: UInt64, _ prompts: UnsafePointer<Int32>?,
  _ chosen_tokens: UnsafePointer<Int32>?, _ chosen_lengths: UnsafePointer<Int32>?,
  _ rejected_tokens: UnsafePointer<Int32>?, _ rejected_lengths: UnsafePointer<Int32>?,
  _ count: Int64, _ weights: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_direct_stats>?
) -> Int32 {
  entry(output: stats_out, "stats_out") { (out) throws(SwiftPGError) in
    try dpoEntry(trainer, prompts, chosen_tokens, chosen_lengths, rejected_tokens, rejected_lengths, count, weights) {
      (dpo, pairs) throws(SwiftPGError) in out.pointee = directStats(try dpo.evaluate(pairs))
    }
  }
}

@c @implementation
public func swiftpg_pref_trainer_destroy(_ trainer: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try preferenceTrainerTable.remove(trainer) }
}

// MARK: The KL-regularised reward

/// The sizes and lengths of a KL-reward call: batch >= 0, L = max_length
/// in [1, 4096], batch × L ≤ 2^28, then `lengths` [batch] (their values
/// are the Swift function's check).
private func klShape(_ batch: Int64, _ max_length: Int32, _ lengths: UnsafePointer<Int32>?) throws(SwiftPGError)
  -> (b: Int, l: Int, cells: Int, lengths: [Int32])
{
  try require(
    max_length >= 1 && max_length <= Int32(SequenceSpace.maxMaxLength),
    "max_length must be in [1, \(SequenceSpace.maxMaxLength)], got \(max_length)")
  let l = Int(max_length)
  let b = try checkBatch(batch, width: l)
  let cells = try Limits.product([b, l], limit: Limits.maxScratchElements, "[batch, max_length]")
  let n = try need(lengths, "lengths")
  return (b, l, cells, Array(UnsafeBufferPointer(start: n, count: b)))
}

/// `count` doubles of a caller array, any values (the Swift function checks
/// the ones it reads).
private func doubles(_ p: UnsafePointer<Double>?, _ count: Int, _ name: String) throws(SwiftPGError) -> [Double] {
  Array(UnsafeBufferPointer(start: try need(p, name), count: count))
}

@c @implementation
public func swiftpg_kl_penalties(
  _ batch: Int64, _ max_length: Int32, _ log_probs: UnsafePointer<Double>?, _ ref_log_probs: UnsafePointer<Double>?,
  _ lengths: UnsafePointer<Int32>?, _ estimator: Int32, _ penalties_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: penalties_out, "penalties_out") { (out) throws(SwiftPGError) in
    guard let k = KLRegularizedReward.Estimator(rawValue: estimator) else {
      throw .invalid("estimator must be 1 (k1), 2 (k2) or 3 (k3), got \(estimator)")
    }
    let s = try klShape(batch, max_length, lengths)
    let lp = try doubles(log_probs, s.cells, "log_probs")
    let lq = try doubles(ref_log_probs, s.cells, "ref_log_probs")
    let p = try KLRegularizedReward.penalties(
      logProbabilities: lp, referenceLogProbabilities: lq, lengths: s.lengths, maxLength: s.l, estimator: k)
    copyOut(p, out)
  }
}

@c @implementation
public func swiftpg_kl_regularized_rewards(
  _ batch: Int64, _ max_length: Int32, _ rewards: UnsafePointer<Double>?, _ penalties: UnsafePointer<Double>?,
  _ lengths: UnsafePointer<Int32>?, _ beta: Double, _ per_token: Int32, _ rewards_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: rewards_out, "rewards_out") { (out) throws(SwiftPGError) in
    try require(per_token == 0 || per_token == 1, "per_token must be 0 or 1, got \(per_token)")
    let s = try klShape(batch, max_length, lengths)
    let r = try doubles(rewards, s.b, "rewards")
    let kl = try doubles(penalties, s.cells, "penalties")
    let result =
      per_token == 1
      ? try KLRegularizedReward.tokenRewards(rewards: r, penalties: kl, lengths: s.lengths, maxLength: s.l, beta: beta)
      : try KLRegularizedReward.sequenceRewards(
        rewards: r, penalties: kl, lengths: s.lengths, maxLength: s.l, beta: beta)
    copyOut(result, out)
  }
}
