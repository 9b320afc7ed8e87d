/// Returns and lengths of `episodes` whole episodes of `policy` in `env`
/// (reseeded with `seed` first), in the order the episodes started.
/// `greedy` acts by argmax; otherwise actions are sampled with a generator
/// seeded from `seed`. `observationTransform` maps each batch of raw
/// observations to what the policy sees (e.g. frozen normalisation).
///
/// Streaming: `record(k, return, length)` is called once per episode k (in
/// the order episodes finish); no transition is kept, so memory is O(N)
/// whatever `episodes` is (≤ 2^24). The environment must have a time limit
/// (`maxEpisodeSteps > 0`): an episode of an env without one may never end,
/// so that is refused (set `max_episode_steps`). `cancellation` is checked
/// at every step.
public func evaluateEpisodes(
  policy: any Policy, env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64,
  observationTransform transform: ((UnsafePointer<Double>) -> UnsafePointer<Double>)? = nil,
  cancellation: CancellationFlag? = nil, record: (Int, Double, Int) -> Void
) throws(SwiftPGError) {
  try require(episodes >= 1, "episodes must be >= 1, got \(episodes)")
  try require(episodes <= 1 << 24, "episodes \(episodes) exceeds 2^24", code: .tooLarge)
  try checkActionSpaces(policy: policy, env: env)
  let collector = try EpisodeCollector(env: env)
  collector.cancellation = cancellation
  var g = PCG64(seed: UInt128(seed) | (UInt128(2) << 64))
  let count = env.count
  try collector.summarize(episodes: episodes, seed: seed, record: record) {
    (obs: UnsafePointer<Double>, actions: UnsafeMutableRawPointer) in
    if let transform {
      let x = transform(obs)
      policy.sample(x, batch: count, greedy: greedy, rawActions: actions, using: &g)
    } else {
      policy.sample(obs, batch: count, greedy: greedy, rawActions: actions, using: &g)
    }
  }
}

/// `evaluateEpisodes` gathered into arrays indexed by episode.
public func evaluate(
  policy: any Policy, env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64,
  observationTransform transform: ((UnsafePointer<Double>) -> UnsafePointer<Double>)? = nil,
  cancellation: CancellationFlag? = nil
) throws(SwiftPGError) -> (returns: [Double], lengths: [Int]) {
  try require(episodes >= 1, "episodes must be >= 1, got \(episodes)")
  try require(episodes <= 1 << 24, "episodes \(episodes) exceeds 2^24", code: .tooLarge)
  var returns = [Double](repeating: 0, count: episodes)
  var lengths = [Int](repeating: 0, count: episodes)
  try evaluateEpisodes(
    policy: policy, env: env, episodes: episodes, greedy: greedy, seed: seed, observationTransform: transform,
    cancellation: cancellation
  ) { k, r, l in
    returns[k] = r
    lengths[k] = l
  }
  return (returns, lengths)
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
