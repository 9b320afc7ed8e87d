/// Returns and lengths of `episodes` whole episodes of `policy` in `env`
/// (reseeded with `seed` first), in the order the episodes started.
/// `greedy` acts by argmax; otherwise actions are sampled with a generator
/// seeded from `seed`.
public func evaluate(
  policy: any Policy, env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64
) throws(SwiftPGError) -> (returns: [Double], lengths: [Int]) {
  try require(episodes >= 1, "episodes must be >= 1, got \(episodes)")
  try require(episodes <= 1 << 24, "episodes \(episodes) exceeds 2^24", code: .tooLarge)
  try require(
    env.observationSize == policy.observationSize,
    "policy observation size \(policy.observationSize) does not match \(env.id)'s \(env.observationSize)")
  guard case .discrete(let n) = env.actionSpace, policy.actionSpace == .discrete(n) else {
    throw .invalid("evaluation needs a discrete policy whose actions match \(env.id)'s")
  }
  let collector = try EpisodeCollector(env: env)
  var batch = EpisodeBatch(observationSize: env.observationSize)
  var g = PCG64(seed: UInt128(seed) | (UInt128(2) << 64))
  let count = env.count
  collector.collect(.episodes(episodes), seed: seed, into: &batch) { obs, actions in
    policy.sample(obs, batch: count, greedy: greedy, rawActions: UnsafeMutableRawPointer(actions), using: &g)
  }
  return (batch.episodeReturns, batch.episodeLengths)
}
