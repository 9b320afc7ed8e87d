import CSwiftPG
import SwiftPG

// The C ABI of issue 15's sequence policies and exact figures over response
// arrays (Include/swiftpg.h, "Sequences and preferences").

// MARK: Creation

private func registerSequencePolicy(_ out: UnsafeMutablePointer<UInt64>?, _ make: () throws(SwiftPGError) -> SequencePolicy)
  throws(SwiftPGError)
{
  try register(sequencePolicyTable, out, "seq_policy_out") { () throws(SwiftPGError) in
    SequencePolicyObject(try make())
  }
}

@c @implementation
public func swiftpg_seq_policy_create_tabular(
  _ vocab_size: Int32, _ max_length: Int32, _ num_prompts: Int32, _ seq_policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let space = try SequenceSpace(vocabularySize: Int(vocab_size), maxLength: Int(max_length))
    try require(num_prompts >= 1, "num_prompts must be >= 1, got \(num_prompts)")
    try registerSequencePolicy(seq_policy_out) { () throws(SwiftPGError) in
      SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: Int(num_prompts)))
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_create_neural(
  _ vocab_size: Int32, _ max_length: Int32, _ num_prompts: Int32, _ num_prompt_features: Int32,
  _ prompt_features: UnsafePointer<Double>?, _ context_size: Int32, _ hidden_sizes: UnsafePointer<Int32>?,
  _ num_hidden: Int32, _ activation: Int32, _ precision_bits: Int32, _ hidden_gain: Double, _ output_gain: Double,
  _ seed: UInt64, _ seq_policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let space = try SequenceSpace(vocabularySize: Int(vocab_size), maxLength: Int(max_length))
    try require(num_prompts >= 1, "num_prompts must be >= 1, got \(num_prompts)")
    try require(num_prompt_features >= 0, "num_prompt_features must be >= 0, got \(num_prompt_features)")
    try require(
      context_size >= 0 && Int(context_size) <= space.maxLength,
      "context_size must be in [0, \(space.maxLength)], got \(context_size)")
    let hidden = try hiddenLayers(hidden_sizes, num_hidden)
    let act = try activationValue(activation)
    guard let precision = MLP.Precision(rawValue: precision_bits) else {
      throw .invalid("precision_bits must be 32 or 64, got \(precision_bits)")
    }
    try require(
      hidden_gain.isFinite && hidden_gain >= 0, "hidden_gain must be finite and >= 0, got \(hidden_gain)")
    try require(
      output_gain.isFinite && output_gain >= 0, "output_gain must be finite and >= 0, got \(output_gain)")
    let f = try Limits.product(
      [Int(num_prompts), Int(num_prompt_features)], limit: Limits.maxScratchElements, "prompt features [P, F]")
    var features: [Double] = []
    if f > 0 {
      let p = try need(prompt_features, "prompt_features")
      try requireFinite(p, f, "prompt_features", width: Int(num_prompt_features))
      features = Array(UnsafeBufferPointer(start: p, count: f))
    }
    try registerSequencePolicy(seq_policy_out) { () throws(SwiftPGError) in
      SequencePolicy(
        model: try NeuralSequenceModel(
          space: space, promptFeatures: features, promptCount: Int(num_prompts),
          featureSize: Int(num_prompt_features), contextSize: Int(context_size), hidden: hidden, activation: act,
          precision: precision, hiddenGain: hidden_gain, outputGain: output_gain, seed: seed))
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_copy(_ seq_policy: UInt64, _ copy_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  entry(output: copy_out, "copy_out") { (out) throws(SwiftPGError) in
    var copy: SequencePolicy? = nil
    try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in copy = try o.policy.frozenCopy() }
    guard let copy else { throw SwiftPGError(.internalError, "the copy was not made") }
    out.pointee = try sequencePolicyTable.insert(SequencePolicyObject(copy))
  }
}

@c @implementation
public func swiftpg_seq_policy_destroy(_ seq_policy: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try sequencePolicyTable.remove(seq_policy) }
}

// MARK: Sizes and parameters

@c @implementation
public func swiftpg_seq_policy_get_info(
  _ seq_policy: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_seq_policy_info>?
) -> Int32 {
  entry(sequencePolicyTable, seq_policy, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let p = o.policy
    out.pointee = swiftpg_seq_policy_info(
      vocab_size: Int32(p.space.vocabularySize), max_length: Int32(p.space.maxLength),
      num_prompts: Int32(clamping: p.promptCount), family: p.family.rawValue, num_params: Int64(p.parameterCount))
  }
}

@c @implementation
public func swiftpg_seq_policy_get_params(_ seq_policy: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64)
  -> Int32
{ getParameters(sequencePolicyTable, seq_policy, params_out, count) }

@c @implementation
public func swiftpg_seq_policy_set_params(_ seq_policy: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64)
  -> Int32
{ setParameters(sequencePolicyTable, seq_policy, params, count) }

// MARK: Sampling and teacher-forced passes

@c @implementation
public func swiftpg_seq_policy_sample(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ batch: Int64, _ temperature: Double, _ seed: UInt64,
  _ first_lane: Int64, _ tokens_out: UnsafeMutablePointer<Int32>?, _ lengths_out: UnsafeMutablePointer<Int32>?,
  _ log_probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: tokens_out, "tokens_out") { (tokens) throws(SwiftPGError) in
    let lengths = try need(lengths_out, "lengths_out")
    let logProbs = try needIfPresent(log_probs_out, "log_probs_out")
    let x = try need(prompts, "prompts")
    try require(
      temperature.isFinite && temperature >= 0, "temperature must be finite and >= 0, got \(temperature)")
    try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in
      let b = try checkBatch(batch, width: o.policy.space.maxLength)
      try checkFirstRow(first_lane, count: b, "first_lane")
      try o.policy.sample(
        prompts: x, count: b, temperature: temperature, seed: seed, firstLane: Int(first_lane), tokens: tokens,
        lengths: lengths, logProbabilities: logProbs)
    }
  }
}

/// A teacher-forced call: the handle, then the batch, then `body` with the
/// batch as arrays.
private func teacherForcedEntry(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64,
  _ body: (SequencePolicy, _ prompts: [Int32], _ tokens: [Int32], _ lengths: [Int32]) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in
    let l = o.policy.space.maxLength
    let b = try ResponseBatch(prompts, tokens, lengths, batch, maxLength: l)
    let (x, y, n) = b.arrays(maxLength: l)
    try body(o.policy, x, y, n)
  }
}

@c @implementation
public func swiftpg_seq_policy_log_probs(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ token_log_probs_out: UnsafeMutablePointer<Double>?,
  _ sequence_log_probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let perToken = try needIfPresent(token_log_probs_out, "token_log_probs_out")
    let perSequence = try needIfPresent(sequence_log_probs_out, "sequence_log_probs_out")
    guard perToken != nil || perSequence != nil else {
      throw SwiftPGError(.nullPointer, "token_log_probs_out and sequence_log_probs_out are both NULL")
    }
    try teacherForcedEntry(seq_policy, prompts, tokens, lengths, batch) { (p, x, y, n) throws(SwiftPGError) in
      let lp = try p.tokenLogProbabilities(prompts: x, tokens: y, lengths: n)
      let l = p.space.maxLength
      try requireFiniteResult(lp, lp.count, "log-probabilities", allowing: -.infinity)
      if let perToken { copyOut(lp, perToken) }
      if let perSequence {
        for b in 0..<x.count {
          var s = 0.0
          for t in 0..<Int(n[b]) { s += lp[b * l + t] }
          perSequence[b] = s
        }
      }
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_entropies(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ entropies_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: entropies_out, "entropies_out") { (out) throws(SwiftPGError) in
    try teacherForcedEntry(seq_policy, prompts, tokens, lengths, batch) { (p, x, y, n) throws(SwiftPGError) in
      let h = try p.tokenEntropies(prompts: x, tokens: y, lengths: n)
      try requireFiniteResult(h, h.count, "entropies")
      copyOut(h, out)
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_kl(
  _ seq_policy: UInt64, _ reference: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ kl_out: UnsafeMutablePointer<Double>?,
  _ k1_out: UnsafeMutablePointer<Double>?, _ k2_out: UnsafeMutablePointer<Double>?,
  _ k3_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: kl_out, "kl_out") { (klOut) throws(SwiftPGError) in
    let k1 = try needIfPresent(k1_out, "k1_out")
    let k2 = try needIfPresent(k2_out, "k2_out")
    let k3 = try needIfPresent(k3_out, "k3_out")
    let work = { (p: SequencePolicy, r: SequencePolicy) throws(SwiftPGError) in
      let l = p.space.maxLength
      let b = try ResponseBatch(prompts, tokens, lengths, batch, maxLength: l)
      let (x, y, n) = b.arrays(maxLength: l)
      let kl = try p.tokenKL(reference: r, prompts: x, tokens: y, lengths: n)
      try requireFiniteResult(kl, kl.count, "KL divergences", allowing: .infinity)
      var estimates: KLEstimates? = nil
      if k1 != nil || k2 != nil || k3 != nil {
        estimates = try p.klEstimates(reference: r, prompts: x, tokens: y, lengths: n)
      }
      copyOut(kl, klOut)
      if let e = estimates {
        if let k1 { copyOut(e.k1, k1) }
        if let k2 { copyOut(e.k2, k2) }
        if let k3 { copyOut(e.k3, k3) }
      }
    }
    let policy = try sequencePolicyTable.get(seq_policy)
    if reference == seq_policy {
      try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in try work(o.policy, o.policy) }
    } else {
      let ref = try sequencePolicyTable.get(reference)
      try using(policy, "sequence policy", ref, "reference policy") { (o, r) throws(SwiftPGError) in
        try work(o.policy, r.policy)
      }
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_score_gradient(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ batch: Int64, _ token_weights: UnsafePointer<Double>?,
  _ sequence_weights: UnsafePointer<Double>?, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: gradient_out, "gradient_out") { (out) throws(SwiftPGError) in
    guard (token_weights == nil) != (sequence_weights == nil) else {
      throw token_weights == nil
        ? SwiftPGError(.nullPointer, "token_weights and sequence_weights are both NULL (pass exactly one)")
        : .invalid("token_weights and sequence_weights are both given (pass exactly one)")
    }
    try teacherForcedEntry(seq_policy, prompts, tokens, lengths, batch) { (p, x, y, n) throws(SwiftPGError) in
      let g: [Double]
      if let tw = token_weights {
        let w = try need(tw, "token_weights")
        g = try p.scoreGradient(
          prompts: x, tokens: y, lengths: n, tokenWeights: Array(UnsafeBufferPointer(start: w, count: y.count)))
      } else {
        let w = try need(sequence_weights, "sequence_weights")
        let sw = Array(UnsafeBufferPointer(start: w, count: x.count))
        for (b, v) in sw.enumerated() where !v.isFinite {
          throw SwiftPGError(.notFinite, "sequence_weights[\(b)] must be finite, got \(v)")
        }
        g = try p.scoreGradient(prompts: x, tokens: y, lengths: n, sequenceWeights: sw)
      }
      try requireFiniteResult(g, g.count, "gradients")
      copyOut(g, out)
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_exact_log_probs(
  _ seq_policy: UInt64, _ prompt: Int32, _ log_probs_out: UnsafeMutablePointer<Double>?, _ capacity: Int64,
  _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry(output: count_out, "count_out") { (countOut) throws(SwiftPGError) in
    try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in
      let p = o.policy
      try exactPromptTable(p.space, promptCount: p.promptCount, prompt, log_probs_out, capacity, countOut, "log_probs_out") {
        (x) throws(SwiftPGError) in
        let lp = try ExactResponses.logProbabilities(p, prompt: x, limit: ExactResponses.defaultLimit)
        try requireFiniteResult(lp, lp.count, "log-probabilities", allowing: -.infinity)
        return lp
      }
    }
  }
}

// MARK: Exact figures over arrays

/// Reads `count` log-probabilities: no NaN, no +inf (-inf is probability 0).
private func logProbabilityArray(_ p: UnsafePointer<Double>?, _ count: Int, _ name: String) throws(SwiftPGError)
  -> [Double]
{
  let a = try need(p, name)
  for i in 0..<count where a[i].isNaN || a[i] == .infinity {
    throw SwiftPGError(.notFinite, "\(name)[\(i)] is \(a[i]); log-probabilities must not be NaN or +inf")
  }
  return Array(UnsafeBufferPointer(start: a, count: count))
}

/// `log_p` and `log_q`, `count` log-probabilities each.
private func logProbabilityPair(
  _ logP: UnsafePointer<Double>?, _ logQ: UnsafePointer<Double>?, _ count: Int
) throws(SwiftPGError) -> ([Double], [Double]) {
  (try logProbabilityArray(logP, count, "log_p"), try logProbabilityArray(logQ, count, "log_q"))
}

func finiteArray(_ p: UnsafePointer<Double>?, _ count: Int, _ name: String) throws(SwiftPGError) -> [Double] {
  let a = try need(p, name)
  try requireFinite(a, count, name)
  return Array(UnsafeBufferPointer(start: a, count: count))
}

/// Checks a count of response-array entries (0 ≤ count ≤ 2^28).
func arrayCount(_ count: Int64, _ name: String = "count") throws(SwiftPGError) -> Int {
  try require(count >= 0, "\(name) must be >= 0, got \(count)")
  try require(count <= Int64(Limits.maxScratchElements), "\(name) \(count) exceeds 2^28", code: .tooLarge)
  return Int(count)
}

@c @implementation
public func swiftpg_exact_expectation(
  _ count: Int64, _ log_probs: UnsafePointer<Double>?, _ values: UnsafePointer<Double>?,
  _ expectation_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: expectation_out, "expectation_out") { (out) throws(SwiftPGError) in
    let n = try arrayCount(count)
    let lp = try logProbabilityArray(log_probs, n, "log_probs")
    let v = try finiteArray(values, n, "values")
    let e = try ExactResponses.expectation(logProbabilities: lp, values: v)
    try require(e.isFinite, "the expectation overflowed", code: .numerical)
    out.pointee = e
  }
}

@c @implementation
public func swiftpg_exact_kl(
  _ count: Int64, _ log_p: UnsafePointer<Double>?, _ log_q: UnsafePointer<Double>?,
  _ kl_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: kl_out, "kl_out") { (out) throws(SwiftPGError) in
    let (p, q) = try logProbabilityPair(log_p, log_q, try arrayCount(count))
    let kl = try ExactResponses.kl(logP: p, logQ: q)
    try require(!kl.isNaN, "the KL divergence is NaN", code: .numerical)
    out.pointee = kl
  }
}

@c @implementation
public func swiftpg_exact_win_rate(
  _ count: Int64, _ log_p: UnsafePointer<Double>?, _ log_q: UnsafePointer<Double>?,
  _ rewards: UnsafePointer<Double>?, _ win_rate_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: win_rate_out, "win_rate_out") { (out) throws(SwiftPGError) in
    let n = try arrayCount(count)
    let (p, q) = try logProbabilityPair(log_p, log_q, n)
    let w = try ExactResponses.winRate(logP: p, logQ: q, rewards: try finiteArray(rewards, n, "rewards"))
    try require(w.isFinite, "the win rate is not finite", code: .numerical)
    out.pointee = w
  }
}

@c @implementation
public func swiftpg_exact_win_rate_prompts(
  _ num_prompts: Int64, _ count: Int64, _ prompt_probs: UnsafePointer<Double>?, _ log_p: UnsafePointer<Double>?,
  _ log_q: UnsafePointer<Double>?, _ rewards: UnsafePointer<Double>?, _ win_rate_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: win_rate_out, "win_rate_out") { (out) throws(SwiftPGError) in
    try require(num_prompts >= 1, "num_prompts must be >= 1, got \(num_prompts)")
    let m = try arrayCount(num_prompts, "num_prompts")
    let n = try arrayCount(count)
    let cells = try Limits.product([m, n], limit: Limits.maxScratchElements, "[num_prompts, count]")
    let w = try finiteArray(prompt_probs, m, "prompt_probs")
    let (p, q) = try logProbabilityPair(log_p, log_q, cells)
    let r = try finiteArray(rewards, cells, "rewards")
    func rows(_ a: [Double]) -> [[Double]] { (0..<m).map { Array(a[($0 * n)..<(($0 + 1) * n)]) } }
    let v = try ExactResponses.winRate(promptProbabilities: w, logP: rows(p), logQ: rows(q), rewards: rows(r))
    try require(v.isFinite, "the win rate is not finite", code: .numerical)
    out.pointee = v
  }
}

// MARK: Next-token distributions

@c @implementation
public func swiftpg_seq_policy_next_token_log_probs(
  _ seq_policy: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ positions: UnsafePointer<Int32>?, _ count: Int64, _ log_probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(output: log_probs_out, "log_probs_out") { (out) throws(SwiftPGError) in
    let x = try need(prompts, "prompts")
    let y = try need(tokens, "tokens")
    let t = try need(positions, "positions")
    try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in
      let p = o.policy
      let l = p.space.maxLength
      let n = try checkBatch(count, width: l, "count")
      _ = try Limits.product([n, p.space.tokenCount], limit: Limits.maxScratchElements, "log_probs_out [count, V + 1]")
      let lp = try p.nextTokenLogProbabilities(
        prompts: Array(UnsafeBufferPointer(start: x, count: n)),
        tokens: Array(UnsafeBufferPointer(start: y, count: n * l)),
        positions: Array(UnsafeBufferPointer(start: t, count: n)))
      try requireFiniteResult(lp, lp.count, "log-probabilities", allowing: -.infinity)
      copyOut(lp, out)
    }
  }
}

// MARK: Checkpoints

@c @implementation
public func swiftpg_seq_policy_save(_ seq_policy: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(sequencePolicyTable, seq_policy) { (o) throws(SwiftPGError) in try Checkpoint.save(o.policy, to: file) }
  }
}

@c @implementation
public func swiftpg_seq_policy_load(_ path: UnsafePointer<CChar>?, _ seq_policy_out: UnsafeMutablePointer<UInt64>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try registerSequencePolicy(seq_policy_out) { () throws(SwiftPGError) in
      try Checkpoint.loadSequencePolicy(try cString(path, "path", limit: 4096))
    }
  }
}

@c @implementation
public func swiftpg_seq_policy_serialize(
  _ seq_policy: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64,
  _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(sequencePolicyTable, seq_policy, buffer, capacity, size_out) { (o) in
    SequencePolicyRecord.serialize(o.policy)
  }
}

@c @implementation
public func swiftpg_seq_policy_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ seq_policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, sequencePolicyTable, seq_policy_out, "seq_policy_out") {
    (data) throws(SwiftPGError) in SequencePolicyObject(try SequencePolicyRecord.deserialize(data))
  }
}
