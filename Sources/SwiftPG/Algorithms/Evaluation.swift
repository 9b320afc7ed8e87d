/// Returns and lengths of `episodes` whole episodes of `policy` in `env`
/// (reseeded with `seed` first), in the order the episodes started.
/// `greedy` acts by argmax; otherwise actions are sampled with a generator
/// seeded from `seed`. `observationTransform` maps each batch of raw
/// observations to what the policy sees (e.g. frozen normalisation).
public func evaluate(
  policy: any Policy, env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64,
  observationTransform transform: ((UnsafePointer<Double>) -> UnsafePointer<Double>)? = nil
) throws(SwiftPGError) -> (returns: [Double], lengths: [Int]) {
  try require(episodes >= 1, "episodes must be >= 1, got \(episodes)")
  try require(episodes <= 1 << 24, "episodes \(episodes) exceeds 2^24", code: .tooLarge)
  try checkActionSpaces(policy: policy, env: env)
  let collector = try EpisodeCollector(env: env)
  var batch = EpisodeBatch(observationSize: env.observationSize)
  var g = PCG64(seed: UInt128(seed) | (UInt128(2) << 64))
  let count = env.count
  collector.collect(.episodes(episodes), seed: seed, into: &batch) {
    (obs: UnsafePointer<Double>, actions: UnsafeMutableRawPointer) in
    if let transform {
      let x = transform(obs)
      policy.sample(x, batch: count, greedy: greedy, rawActions: actions, using: &g)
    } else {
      policy.sample(obs, batch: count, greedy: greedy, rawActions: actions, using: &g)
    }
  }
  return (batch.episodeReturns, batch.episodeLengths)
}

/// Throws unless `policy` acts in `env`'s action space with its observation size.
public func checkActionSpaces(policy: any Policy, env: any BatchedEnvironment) throws(SwiftPGError) {
  try require(
    env.observationSize == policy.observationSize,
    "policy observation size \(policy.observationSize) does not match \(env.id)'s \(env.observationSize)")
  switch (env.actionSpace, policy.actionSpace) {
  case (.discrete(let n), .discrete(let m)):
    try require(n == m, "the policy has \(m) actions but \(env.id) has \(n)")
  case (.box(let low, _), .box(let plow, _)):
    try require(
      low.count == plow.count,
      "the policy's actions have \(plow.count) dimensions but \(env.id)'s have \(low.count)")
  case (.discrete, .box):
    throw .invalid("\(env.id) has discrete actions; a Gaussian (continuous) policy does not fit it")
  case (.box, .discrete):
    throw .invalid("\(env.id) has continuous actions; a categorical (discrete) policy does not fit it")
  }
}
