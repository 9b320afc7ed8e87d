import CSwiftPG
import SwiftPG

// The C ABI of issue 15's sequence tasks and labellers
// (Include/swiftpg.h, "Sequences and preferences"). Every entry point checks
// its pointers and sizes, then lets the Swift task validate prompt ids and
// responses, before anything is written.

// MARK: Shared checks

/// A batch of responses from C: the three input pointers and the batch size
/// (overflow-checked against `[batch, L]`).
struct ResponseBatch {
  let prompts: UnsafePointer<Int32>
  let tokens: UnsafePointer<Int32>
  let lengths: UnsafePointer<Int32>
  let count: Int

  /// `names`: the C argument names of the prompts, tokens and lengths
  /// (for the NULL-pointer messages), and of the batch size.
  init(
    _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?, _ lengths: UnsafePointer<Int32>?,
    _ batch: Int64, maxLength: Int, names: (String, String, String, String) = ("prompts", "tokens", "lengths", "batch")
  ) throws(SwiftPGError) {
    self.prompts = try need(prompts, names.0)
    self.tokens = try need(tokens, names.1)
    self.lengths = try need(lengths, names.2)
    count = try checkBatch(batch, width: maxLength, names.3)
  }

  /// Copies as arrays (the array API of `SequencePolicy`).
  func arrays(maxLength: Int) -> (prompts: [Int32], tokens: [Int32], lengths: [Int32]) {
    (
      Array(UnsafeBufferPointer(start: prompts, count: count)),
      Array(UnsafeBufferPointer(start: tokens, count: count * maxLength)),
      Array(UnsafeBufferPointer(start: lengths, count: count))
    )
  }
}

/// Checks a first row / lane index: >= 0, and `first + count` fits Int64.
func checkFirstRow(_ first: Int64, count: Int, _ name: String) throws(SwiftPGError) {
  try require(first >= 0, "\(name) must be >= 0, got \(first)")
  try require(first <= Int64.max - Int64(count), "\(name) \(first) + count \(count) overflows", code: .tooLarge)
}

/// Copies `values` to a caller buffer (already sized by the caller).
func copyOut<T>(_ values: [T], _ out: UnsafeMutablePointer<T>) {
  for (i, v) in values.enumerated() { out[i] = v }
}

/// `copyOut` to an output that may be NULL when `values` is empty (then
/// nothing is written).
func copyOutUnlessEmpty<T>(_ values: [T], _ out: UnsafeMutablePointer<T>?, _ name: String) throws(SwiftPGError) {
  if values.isEmpty {
    _ = try needIfPresent(out, name)
  } else {
    copyOut(values, try need(out, name))
  }
}


private func registerTask(_ out: UnsafeMutablePointer<UInt64>?, _ make: () throws(SwiftPGError) -> any SequenceTask)
  throws(SwiftPGError)
{
  try register(sequenceTaskTable, out, "task_out") { () throws(SwiftPGError) in SequenceTaskObject(try make()) }
}

// MARK: Configs and creation

@c @implementation
public func swiftpg_summarise_default_config(_ config_out: UnsafeMutablePointer<swiftpg_summarise_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = try Summarise()
    return swiftpg_summarise_config(
      size: size, vocab_size: Int32(d.space.vocabularySize), max_length: Int32(d.space.maxLength),
      num_prompts: Int32(d.promptCount), post_length: Int32(d.postLength), salient_count: Int32(d.salientCount),
      length_penalty: d.lengthPenalty, missing_eos_penalty: d.missingEOSPenalty, seed: d.seed)
  }
}

@c @implementation
public func swiftpg_length_bias_default_config(_ config_out: UnsafeMutablePointer<swiftpg_length_bias_config>?)
  -> Int32
{
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = try LengthBias()
    return swiftpg_length_bias_config(
      size: size, vocab_size: Int32(d.space.vocabularySize), max_length: Int32(d.space.maxLength),
      num_prompts: Int32(d.promptCount), relevant_count: Int32(d.relevantCount), reserved: 0,
      length_penalty: d.lengthPenalty, missing_eos_penalty: d.missingEOSPenalty, label_length_bias: d.labelLengthBias)
  }
}

/// A task made from a size-checked config struct.
private func createTask<C>(
  _ config: UnsafePointer<C>?, _ out: UnsafeMutablePointer<UInt64>?,
  _ make: (C) throws(SwiftPGError) -> any SequenceTask
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    try registerTask(out) { () throws(SwiftPGError) in try make(c) }
  }
}

@c @implementation
public func swiftpg_seq_task_create_summarise(
  _ config: UnsafePointer<swiftpg_summarise_config>?, _ task_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createTask(config, task_out) { (c) throws(SwiftPGError) in
    try Summarise(
      vocabularySize: Int(c.vocab_size), maxLength: Int(c.max_length), promptCount: Int(c.num_prompts),
      postLength: Int(c.post_length), salientCount: Int(c.salient_count), lengthPenalty: c.length_penalty,
      missingEOSPenalty: c.missing_eos_penalty, seed: c.seed)
  }
}

@c @implementation
public func swiftpg_seq_task_create_length_bias(
  _ config: UnsafePointer<swiftpg_length_bias_config>?, _ task_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createTask(config, task_out) { (c) throws(SwiftPGError) in
    try LengthBias(
      vocabularySize: Int(c.vocab_size), maxLength: Int(c.max_length), promptCount: Int(c.num_prompts),
      relevantCount: Int(c.relevant_count), lengthPenalty: c.length_penalty,
      missingEOSPenalty: c.missing_eos_penalty, labelLengthBias: c.label_length_bias)
  }
}

@c @implementation
public func swiftpg_seq_task_create_didactic_bandit(
  _ vocab_size: Int32, _ placement: Int32, _ task_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let p = DidacticBandit.RewardPlacement(rawValue: placement) else {
      throw .invalid("unknown placement \(placement); expected 0 (low probability) or 1 (high probability)")
    }
    try registerTask(task_out) { () throws(SwiftPGError) in
      try DidacticBandit(vocabularySize: Int(vocab_size), placement: p)
    }
  }
}

@c @implementation
public func swiftpg_seq_task_create_array(
  _ vocab_size: Int32, _ max_length: Int32, _ num_prompts: Int32, _ prompt_probs: UnsafePointer<Double>?,
  _ num_prompt_features: Int32, _ prompt_features: UnsafePointer<Double>?, _ gold_table: UnsafePointer<Double>?,
  _ label_table: UnsafePointer<Double>?, _ task_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    // Sizes first: they say how much of each caller array to read.
    let space = try SequenceSpace(vocabularySize: Int(vocab_size), maxLength: Int(max_length))
    let n = try space.enumerableResponseCount(limit: ArrayTask.maxResponses)
    try require(num_prompts >= 1 && num_prompts <= 1 << 16, "num_prompts must be in [1, 65536], got \(num_prompts)")
    try require(num_prompt_features >= 0, "num_prompt_features must be >= 0, got \(num_prompt_features)")
    let p = Int(num_prompts)
    let f = try Limits.product(
      [p, Int(num_prompt_features)], limit: Limits.maxScratchElements, "prompt features [P, F]")
    let cells = try Limits.product([p, n], limit: Limits.maxScratchElements, "reward tables [P, N]")
    let probs = Array(UnsafeBufferPointer(start: try need(prompt_probs, "prompt_probs"), count: p))
    let features: [Double] =
      f == 0 ? [] : Array(UnsafeBufferPointer(start: try need(prompt_features, "prompt_features"), count: f))
    let gold = Array(UnsafeBufferPointer(start: try need(gold_table, "gold_table"), count: cells))
    var label: [Double]? = nil
    if let l = label_table { label = Array(UnsafeBufferPointer(start: try need(l, "label_table"), count: cells)) }
    try registerTask(task_out) { () throws(SwiftPGError) in
      try ArrayTask(
        vocabularySize: Int(vocab_size), maxLength: Int(max_length), promptProbabilities: probs,
        promptFeatures: features, promptFeatureCount: Int(num_prompt_features), goldTable: gold, labelTable: label)
    }
  }
}

@c @implementation
public func swiftpg_seq_task_destroy(_ task: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try sequenceTaskTable.remove(task) }
}

// MARK: Sizes, prompts, feature names

@c @implementation
public func swiftpg_seq_task_get_info(_ task: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_seq_task_info>?)
  -> Int32
{
  entry(sequenceTaskTable, task, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let t = o.task
    out.pointee = swiftpg_seq_task_info(
      vocab_size: Int32(t.space.vocabularySize), max_length: Int32(t.space.maxLength),
      num_prompts: Int32(clamping: t.promptCount), num_prompt_features: Int32(clamping: t.promptFeatureCount),
      num_features: Int32(clamping: t.featureCount), num_proxy_features: Int32(clamping: t.proxyFeatureIndices.count),
      num_responses: t.space.responseCount.map { Int64($0) } ?? -1)
  }
}

@c @implementation
public func swiftpg_seq_task_prompt_probs(_ task: UInt64, _ probs_out: UnsafeMutablePointer<Double>?) -> Int32 {
  entry(sequenceTaskTable, task, output: probs_out, "probs_out") { (o, out) throws(SwiftPGError) in
    copyOut(o.task.promptProbabilities, out)
  }
}

@c @implementation
public func swiftpg_seq_task_prompt_features(_ task: UInt64, _ features_out: UnsafeMutablePointer<Double>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(sequenceTaskTable, task) { (o) throws(SwiftPGError) in
      try copyOutUnlessEmpty(o.task.promptFeatures, features_out, "features_out")
    }
  }
}

@c @implementation
public func swiftpg_seq_task_feature_name(
  _ task: UInt64, _ index: Int32, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  textEntry(sequenceTaskTable, task, buffer, capacity, length_out) { (o) throws(SwiftPGError) in
    let names = o.task.featureNames
    return names[try checkIndex(index, names.count)]
  }
}

@c @implementation
public func swiftpg_seq_task_proxy_features(_ task: UInt64, _ indices_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(sequenceTaskTable, task, output: indices_out, "indices_out") { (o, out) throws(SwiftPGError) in
    copyOut(o.task.proxyFeatureIndices.map { Int32($0) }, out)
  }
}

// MARK: Rewards and features

/// A batched task call writing `[batch, width]` doubles.
private func taskBatchEntry(
  _ task: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ output: UnsafeMutablePointer<Double>?, _ outName: String,
  _ body: (any SequenceTask, ResponseBatch, UnsafeMutablePointer<Double>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry(sequenceTaskTable, task, output: output, outName) { (o, out) throws(SwiftPGError) in
    let b = try ResponseBatch(prompts, tokens, lengths, batch, maxLength: o.task.space.maxLength)
    try body(o.task, b, out)
  }
}

@c @implementation
public func swiftpg_seq_task_rewards(
  _ task: UInt64, _ label: Int32, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ rewards_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  taskBatchEntry(task, prompts, tokens, lengths, batch, rewards_out, "rewards_out") { (t, b, out) throws(SwiftPGError) in
    try require(label == 0 || label == 1, "label must be 0 or 1, got \(label)")
    if label == 1 {
      try t.labelRewards(prompts: b.prompts, tokens: b.tokens, lengths: b.lengths, batch: b.count, into: out)
    } else {
      try t.goldRewards(prompts: b.prompts, tokens: b.tokens, lengths: b.lengths, batch: b.count, into: out)
    }
  }
}

@c @implementation
public func swiftpg_seq_task_reward_features(
  _ task: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ proxy: Int32, _ features_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  taskBatchEntry(task, prompts, tokens, lengths, batch, features_out, "features_out") {
    (t, b, out) throws(SwiftPGError) in
    try require(proxy == 0 || proxy == 1, "proxy must be 0 or 1, got \(proxy)")
    if proxy == 1 {
      try t.proxyRewardFeatures(prompts: b.prompts, tokens: b.tokens, lengths: b.lengths, batch: b.count, into: out)
    } else {
      try t.rewardFeatures(prompts: b.prompts, tokens: b.tokens, lengths: b.lengths, batch: b.count, into: out)
    }
  }
}

/// The capacity-checked `[N]` output of an exact per-prompt call, N the
/// number of responses of `space` (refused beyond the enumeration limit):
/// checks `prompt` against `promptCount`, `count_out` receives N (also
/// when the buffer is too small), then `values(prompt)` is copied to the
/// buffer.
func exactPromptTable(
  _ space: SequenceSpace, promptCount: Int, _ prompt: Int32, _ out: UnsafeMutablePointer<Double>?,
  _ capacity: Int64, _ countOut: UnsafeMutablePointer<Int64>, _ outName: String,
  _ values: (Int) throws(SwiftPGError) -> [Double]
) throws(SwiftPGError) {
  try require(
    prompt >= 0 && Int(prompt) < promptCount, "prompt must be in [0, \(promptCount)), got \(prompt)",
    code: .outOfRange)
  let n = try space.enumerableResponseCount(limit: ExactResponses.defaultLimit)
  try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
  countOut.pointee = Int64(n)
  guard capacity >= Int64(n) else {
    throw SwiftPGError(.bufferTooSmall, "\(outName) needs \(n) values, capacity is \(capacity)")
  }
  let buffer = try need(out, outName)
  let v = try values(Int(prompt))
  guard v.count == n else { throw SwiftPGError(.internalError, "expected \(n) values, computed \(v.count)") }
  copyOut(v, buffer)
}

@c @implementation
public func swiftpg_seq_task_reward_table(
  _ task: UInt64, _ prompt: Int32, _ label: Int32, _ rewards_out: UnsafeMutablePointer<Double>?, _ capacity: Int64,
  _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry(output: count_out, "count_out") { (countOut) throws(SwiftPGError) in
    try require(label == 0 || label == 1, "label must be 0 or 1, got \(label)")
    try using(sequenceTaskTable, task) { (o) throws(SwiftPGError) in
      let t = o.task
      try exactPromptTable(t.space, promptCount: t.promptCount, prompt, rewards_out, capacity, countOut, "rewards_out") {
        (x) throws(SwiftPGError) in
        label == 1
          ? try t.labelRewardTable(prompt: x, limit: ExactResponses.defaultLimit)
          : try t.goldRewardTable(prompt: x, limit: ExactResponses.defaultLimit)
      }
    }
  }
}

// MARK: Prompts and demonstrations

@c @implementation
public func swiftpg_seq_task_sample_prompts(
  _ task: UInt64, _ count: Int64, _ seed: UInt64, _ first_row: Int64, _ prompts_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(sequenceTaskTable, task, output: prompts_out, "prompts_out") { (o, out) throws(SwiftPGError) in
    let n = try checkBatch(count, width: 1, "count")
    try checkFirstRow(first_row, count: n, "first_row")
    copyOut(try o.task.samplePrompts(count: n, seed: seed, firstRow: Int(first_row)), out)
  }
}

@c @implementation
public func swiftpg_seq_task_expert_demonstrations(
  _ task: UInt64, _ count: Int64, _ noise: Double, _ seed: UInt64, _ first_row: Int64,
  _ prompts_out: UnsafeMutablePointer<Int32>?, _ tokens_out: UnsafeMutablePointer<Int32>?,
  _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(output: prompts_out, "prompts_out") { (p) throws(SwiftPGError) in
    let y = try need(tokens_out, "tokens_out")
    let l = try need(lengths_out, "lengths_out")
    try using(sequenceTaskTable, task) { (o) throws(SwiftPGError) in
      let n = try checkBatch(count, width: o.task.space.maxLength, "count")
      try checkFirstRow(first_row, count: n, "first_row")
      try require(noise.isFinite && noise >= 0 && noise <= 1, "noise must be in [0, 1], got \(noise)")
      let batch = try o.task.expertDemonstrations(count: n, noise: noise, seed: seed, firstRow: Int(first_row))
      copyOut(batch.prompts, p)
      copyOut(batch.tokens, y)
      copyOut(batch.lengths, l)
    }
  }
}

// MARK: Labellers

/// Reads `rewards [count, k]` (sizes checked first).
private func labellerRewards(_ rewards: UnsafePointer<Double>?, _ count: Int64, _ k: Int) throws(SwiftPGError)
  -> (UnsafePointer<Double>, Int)
{
  try require(k >= 2 && k <= Labeller.maxCandidates, "k must be in [2, \(Labeller.maxCandidates)], got \(k)")
  let n = try checkBatch(count, width: k, "count")
  return (try need(rewards, "rewards"), n)
}

@c @implementation
public func swiftpg_labeller_compare_pairs(
  _ count: Int64, _ rewards: UnsafePointer<Double>?, _ scale: Double, _ seed: UInt64, _ first_row: Int64,
  _ preferred_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(output: preferred_out, "preferred_out") { (out) throws(SwiftPGError) in
    let (r, n) = try labellerRewards(rewards, count, 2)
    try checkFirstRow(first_row, count: n, "first_row")
    try Labeller.comparePairs(rewards: r, count: n, scale: scale, seed: seed, firstRow: Int(first_row), into: out)
  }
}

@c @implementation
public func swiftpg_labeller_rank(
  _ count: Int64, _ k: Int32, _ rewards: UnsafePointer<Double>?, _ scale: Double, _ seed: UInt64, _ first_row: Int64,
  _ rankings_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(output: rankings_out, "rankings_out") { (out) throws(SwiftPGError) in
    let (r, n) = try labellerRewards(rewards, count, Int(k))
    try checkFirstRow(first_row, count: n, "first_row")
    try Labeller.rank(
      rewards: r, count: n, candidates: Int(k), scale: scale, seed: seed, firstRow: Int(first_row), into: out)
  }
}

@c @implementation
public func swiftpg_labeller_accuracy_ceiling(
  _ count: Int64, _ rewards: UnsafePointer<Double>?, _ scale: Double, _ ceiling_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: ceiling_out, "ceiling_out") { (out) throws(SwiftPGError) in
    let (r, n) = try labellerRewards(rewards, count, 2)
    out.pointee = try Labeller.accuracyCeiling(rewards: r, count: n, scale: scale)
  }
}

@c @implementation
public func swiftpg_labeller_ranking_pairs(
  _ count: Int64, _ k: Int32, _ rankings: UnsafePointer<Int32>?, _ chosen_out: UnsafeMutablePointer<Int32>?,
  _ rejected_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(output: chosen_out, "chosen_out") { (chosen) throws(SwiftPGError) in
    let rejected = try need(rejected_out, "rejected_out")
    try require(k >= 2 && k <= Int32(Labeller.maxCandidates), "k must be in [2, \(Labeller.maxCandidates)], got \(k)")
    let n = try checkBatch(count, width: Int(k), "count")
    _ = try Limits.product([n, Labeller.pairCount(candidates: Int(k))], limit: Limits.maxScratchElements, "pairs")
    let r = try need(rankings, "rankings")
    try Labeller.rankingPairs(rankings: r, count: n, candidates: Int(k), chosen: chosen, rejected: rejected)
  }
}

// MARK: Reference policy

@c @implementation
public func swiftpg_seq_task_reference_policy(_ task: UInt64, _ seq_policy_out: UnsafeMutablePointer<UInt64>?)
  -> Int32
{
  entry(output: seq_policy_out, "seq_policy_out") { (out) throws(SwiftPGError) in
    var made: SequencePolicy? = nil
    try using(sequenceTaskTable, task) { (o) throws(SwiftPGError) in
      guard let policy = try o.task.referencePolicy() else {
        throw SwiftPGError(.notSupported, "\(o.task.name) defines no reference policy (the didactic bandit does)")
      }
      made = policy
    }
    guard let made else { throw SwiftPGError(.internalError, "the reference policy was not made") }
    out.pointee = try sequencePolicyTable.insert(SequencePolicyObject(made))
  }
}
