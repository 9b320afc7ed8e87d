import CSwiftPG
import SwiftPG

// The C ABI of issue 18's board networks (Include/swiftpg.h, "Board
// networks, AlphaGo and AlphaZero"): policy and value networks over game
// planes behind handles, their supervised fits, the data the AlphaGo steps
// need, the PUCT and raw-policy players, and the two self-play learners.
// Every entry point checks its pointers, sizes and handles before anything
// changes; a failed call writes no output and changes no object.

/// A board policy or value network behind a handle.
final class BoardNetObject {
  let network: BoardNetworkRecord.Network
  /// Set by `swiftpg_cancel` on the network handle; its supervised policy
  /// fit checks it before every minibatch.
  let cancellation = CancellationFlag()
  init(_ network: BoardNetworkRecord.Network) { self.network = network }

  var trunk: any BoardTrunk {
    switch network {
    case .policy(let p): p.trunk
    case .value(let v): v.trunk
    }
  }

  var isPolicy: Bool { if case .policy = network { true } else { false } }
  var outputCount: Int { trunk.outputSize }
  var inputSize: Int { trunk.inputSize }

  var planeShape: (c: Int, h: Int, w: Int) {
    switch network {
    case .policy(let p): (p.planeCount, p.boardHeight, p.boardWidth)
    case .value(let v): (v.planeCount, v.boardHeight, v.boardWidth)
    }
  }

  func policy(_ name: String) throws(SwiftPGError) -> BoardPolicyNetwork {
    guard case .policy(let p) = network else { throw .invalid("\(name) is a value network, not a policy network") }
    return p
  }

  func value(_ name: String) throws(SwiftPGError) -> BoardValueNetwork {
    guard case .value(let v) = network else { throw .invalid("\(name) is a policy network, not a value network") }
    return v
  }

  func serialize() -> [UInt8] {
    switch network {
    case .policy(let p): BoardNetworkRecord.serialize(p)
    case .value(let v): BoardNetworkRecord.serialize(v)
    }
  }

  /// An independent copy (same architecture, parameters and precision).
  func copy() throws(SwiftPGError) -> BoardNetworkRecord.Network {
    try BoardNetworkRecord.deserialize(serialize(), source: "a copy of the network")
  }

  /// Refuses (`.invalidArgument`) a game whose planes (and, for a policy,
  /// actions) differ from the network's.
  func check(for game: any GameDimensions) throws(SwiftPGError) {
    switch network {
    case .policy(let p): try NetworkEvaluator(policy: p, value: nil).check(for: game)
    case .value(let v): try NetworkEvaluator(policy: nil, value: v).check(for: game)
    }
  }
}

let boardNetTable = HandleTable<BoardNetObject>(kind: .boardNetwork)
let boardLearnerTable = HandleTable<BoardLearnerObject>(kind: .boardLearner)

/// A self-play learner behind a handle, whatever its game.
final class BoardLearnerObject {
  enum Kind { case reinforce, alphaZero }
  let kind: Kind
  let cancellation: CancellationFlag
  let policy: Guarded<BoardNetObject>
  let value: Guarded<BoardNetObject>?
  private let reinforceStep: (() throws(SwiftPGError) -> swiftpg_selfplay_stats)?
  private let alphaZeroStep: (() throws(SwiftPGError) -> swiftpg_alphazero_stats)?
  /// The learner's state as a bundle, and its restore (all or nothing).
  private let serializeState: () -> [UInt8]
  private let restoreState: ([UInt8], String) throws(SwiftPGError) -> Void

  init(
    reinforce: @escaping () throws(SwiftPGError) -> swiftpg_selfplay_stats, cancellation: CancellationFlag,
    policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>?, serialize: @escaping () -> [UInt8],
    restore: @escaping ([UInt8], String) throws(SwiftPGError) -> Void
  ) {
    serializeState = serialize
    restoreState = restore
    kind = .reinforce
    reinforceStep = reinforce
    alphaZeroStep = nil
    self.cancellation = cancellation
    self.policy = policy
    self.value = value
  }

  init(
    alphaZero: @escaping () throws(SwiftPGError) -> swiftpg_alphazero_stats, cancellation: CancellationFlag,
    policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>?, serialize: @escaping () -> [UInt8],
    restore: @escaping ([UInt8], String) throws(SwiftPGError) -> Void
  ) {
    serializeState = serialize
    restoreState = restore
    kind = .alphaZero
    reinforceStep = nil
    alphaZeroStep = alphaZero
    self.cancellation = cancellation
    self.policy = policy
    self.value = value
  }

  /// Runs `body` with the networks held (BUSY otherwise).
  private func exclusive(_ body: () throws(SwiftPGError) -> Void) throws(SwiftPGError) {
    var objects: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
      (policy.tryAcquire, policy.release, "policy network")
    ]
    if let value { objects.append((value.tryAcquire, value.release, "value network")) }
    try usingAll(objects, body)
  }

  func iterateReinforce() throws(SwiftPGError) -> swiftpg_selfplay_stats {
    guard let reinforceStep else { throw SwiftPGError(.badHandle, "this board learner is an AlphaZero learner") }
    var out = swiftpg_selfplay_stats()
    try cancellation.check("the self-play iteration")
    try exclusive { () throws(SwiftPGError) in out = try reinforceStep() }
    return out
  }

  func save(to path: String) throws(SwiftPGError) {
    var bytes: [UInt8] = []
    try exclusive { () throws(SwiftPGError) in bytes = serializeState() }
    try Checkpoint.write(bytes, to: path)
  }

  func load(from path: String) throws(SwiftPGError) {
    let bytes = try Checkpoint.read(path)
    try exclusive { () throws(SwiftPGError) in try restoreState(bytes, path) }
  }

  func iterateAlphaZero() throws(SwiftPGError) -> swiftpg_alphazero_stats {
    guard let alphaZeroStep else { throw SwiftPGError(.badHandle, "this board learner is a self-play (REINFORCE) learner") }
    var out = swiftpg_alphazero_stats()
    try cancellation.check("the AlphaZero iteration")
    try exclusive { () throws(SwiftPGError) in out = try alphaZeroStep() }
    return out
  }
}

/// Expert-labelled positions, held-out rows first.
struct ExpertArrays {
  var planes: [Double]
  var masks: [UInt8]
  var actions: [Int32]
  var heldOutCount: Int
}

/// What the board-network entry points need of a game batch's concrete
/// game type (`GameBatch<G>` implements it).
protocol BoardNetworkGame: AnyObject {
  func puctPlayer(config: PUCTConfig, temperature: Double, policy: BoardPolicyNetwork?, value: BoardValueNetwork?)
    throws(SwiftPGError) -> any ErasedGamePlayer
  func reinforceLearner(
    config: swiftpg_selfplay_config, policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>?
  ) throws(SwiftPGError) -> BoardLearnerObject
  func alphaZeroLearner(
    config: swiftpg_alphazero_config, policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>
  ) throws(SwiftPGError) -> BoardLearnerObject
  func expertMoves(expert: any ErasedGamePlayer, games: Int, heldOutShare: Double, seed: UInt64)
    throws(SwiftPGError) -> ExpertArrays
  func valueTargets(policy: BoardPolicyNetwork, games: Int, seed: UInt64) throws(SwiftPGError)
    -> (planes: [Double], targets: [Double])
}

extension GameBatch: BoardNetworkGame {
  func puctPlayer(config: PUCTConfig, temperature: Double, policy: BoardPolicyNetwork?, value: BoardValueNetwork?)
    throws(SwiftPGError) -> any ErasedGamePlayer
  {
    let player = try PUCTPlayer(
      game, config: config, evaluator: NetworkEvaluator(policy: policy, value: value), temperature: temperature)
    return PlayerBox(game, player)
  }

  func reinforceLearner(
    config c: swiftpg_selfplay_config, policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>?
  ) throws(SwiftPGError) -> BoardLearnerObject {
    try require(c.learning_rate.isFinite && c.learning_rate > 0, "learning_rate must be finite and > 0, got \(c.learning_rate)")
    try require(
      c.value_learning_rate.isFinite && c.value_learning_rate > 0,
      "value_learning_rate must be finite and > 0, got \(c.value_learning_rate)")
    let config = SelfPlayReinforce<G>.Config(
      gamesPerIteration: Int(c.games_per_iteration), learningRate: c.learning_rate,
      valueLearningRate: c.value_learning_rate, snapshotInterval: Int(c.snapshot_interval),
      poolCapacity: Int(c.pool_capacity), seed: c.seed)
    let learner = try SelfPlayReinforce(
      game, policy: try policy.object.policy("policy_net"), value: try value?.object.value("value_net"), config: config)
    let n = Int64(config.gamesPerIteration)
    return BoardLearnerObject(
      reinforce: { () throws(SwiftPGError) -> swiftpg_selfplay_stats in
        let s = try learner.iterate()
        let r = s.record
        let games = r.wins + r.draws + r.losses
        return swiftpg_selfplay_stats(
          wins: Int32(r.wins), draws: Int32(r.draws), losses: Int32(r.losses), opponent_index: Int32(s.opponent),
          opponent_iteration: Int32(clamping: s.opponentIteration), pool_size: Int32(learner.pool.count),
          games: n, moves: Int64(s.moves),
          score: games > 0 ? (Double(r.wins) + 0.5 * Double(r.draws)) / Double(games) : 0,
          value_loss: s.valueLoss, iteration: Int64(learner.iteration))
      }, cancellation: learner.cancellation, policy: policy, value: value, serialize: { learner.serialize() },
      restore: { (bytes, source) throws(SwiftPGError) in try learner.restore(bytes, source: source) })
  }

  func alphaZeroLearner(
    config c: swiftpg_alphazero_config, policy: Guarded<BoardNetObject>, value: Guarded<BoardNetObject>
  ) throws(SwiftPGError) -> BoardLearnerObject {
    try require(
      c.games_per_iteration >= 1 && c.games_per_iteration <= 1 << 16,
      "games_per_iteration must be in [1, 2^16], got \(c.games_per_iteration)")
    try require(c.temperature_moves >= 0, "temperature_moves must be >= 0, got \(c.temperature_moves)")
    try require(c.learning_rate.isFinite && c.learning_rate > 0, "learning_rate must be finite and > 0, got \(c.learning_rate)")
    let search = PUCTConfig(
      simulations: Int(c.simulations), cPuct: c.c_puct, rolloutWeight: c.rollout_weight,
      dirichletAlpha: c.dirichlet_alpha, dirichletEpsilon: c.dirichlet_epsilon)
    let config = AlphaZeroLearner<G>.Config(
      gamesPerIteration: Int(c.games_per_iteration), temperatureMoves: Int(c.temperature_moves), epochs: Int(c.epochs),
      minibatchSize: Int(c.minibatch_size), learningRate: c.learning_rate, search: search, seed: c.seed)
    let learner = try AlphaZeroLearner(
      game, policy: try policy.object.policy("policy_net"), value: try value.object.value("value_net"), config: config)
    let n = Int64(config.gamesPerIteration)
    return BoardLearnerObject(
      alphaZero: { () throws(SwiftPGError) -> swiftpg_alphazero_stats in
        let s = try learner.iterate()
        return swiftpg_alphazero_stats(
          examples: Int64(s.examples), games: n, policy_loss: s.policyLoss.last ?? 0, value_loss: s.valueLoss.last ?? 0,
          target_entropy: s.targetEntropy, iteration: Int64(learner.iteration))
      }, cancellation: learner.search.cancellation, policy: policy, value: value, serialize: { learner.serialize() },
      restore: { (bytes, source) throws(SwiftPGError) in try learner.restore(bytes, source: source) })
  }

  func expertMoves(expert: any ErasedGamePlayer, games: Int, heldOutShare: Double, seed: UInt64)
    throws(SwiftPGError) -> ExpertArrays
  {
    guard let box = expert as? PlayerBox<G>, box.key == String(describing: game) else {
      throw .invalid("the expert player was made for another game than \(game.name) \(game.boardHeight)×\(game.boardWidth)")
    }
    let (train, held) = try ExpertMoves.collect(
      game, expert: box.strategy, games: games, heldOutShare: heldOutShare, seed: seed)
    return ExpertArrays(
      planes: held.planes.values + train.planes.values, masks: (held.labels.mask ?? []) + (train.labels.mask ?? []),
      actions: held.labels.targets + train.labels.targets, heldOutCount: held.labels.count)
  }

  func valueTargets(policy: BoardPolicyNetwork, games: Int, seed: UInt64) throws(SwiftPGError)
    -> (planes: [Double], targets: [Double])
  {
    let ex = try ValueTargets.collect(game, policy: policy, games: games, seed: seed)
    return (ex.planes, ex.targets)
  }
}

/// The concrete-game operations of the batch behind a game handle.
private func boardGame(_ g: any BatchedGame) throws(SwiftPGError) -> any BoardNetworkGame {
  guard let b = g as? any BoardNetworkGame else {
    throw SwiftPGError(.notSupported, "\(g.dimensions.name) has no board networks")
  }
  return b
}

// MARK: - Networks

@c @implementation
public func swiftpg_board_net_create(
  _ game: UInt64, _ head: Int32, _ trunk: Int32, _ sizes: UnsafePointer<Int32>?, _ num_sizes: Int32,
  _ kernel_size: Int32, _ seed: UInt64, _ net_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(net_out, "net_out")
    try require(
      head == SWIFTPG_BOARD_POLICY || head == SWIFTPG_BOARD_VALUE,
      "head must be SWIFTPG_BOARD_POLICY (1) or SWIFTPG_BOARD_VALUE (2), got \(head)")
    guard let family = BoardTrunkFamily(rawValue: trunk) else {
      throw .invalid("trunk must be SWIFTPG_BOARD_TRUNK_MLP (1) or SWIFTPG_BOARD_TRUNK_CONV (2), got \(trunk)")
    }
    let maxLayers = family == .mlp ? MLP.maxHiddenLayers : ConvNet.maxLayers
    let minLayers = family == .mlp ? 0 : 1
    try require(
      num_sizes >= Int32(minLayers) && num_sizes <= Int32(maxLayers),
      "num_sizes must be in [\(minLayers), \(maxLayers)] for this trunk, got \(num_sizes)")
    var widths: [Int] = []
    if num_sizes > 0 {
      let s = try need(sizes, "sizes")
      for i in 0..<Int(num_sizes) {
        try require(s[i] >= 1, "sizes[\(i)] must be >= 1, got \(s[i])")
        widths.append(Int(s[i]))
      }
    }
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      let d = g.dimensions
      var rng = SplitMix64(seed: seed)
      let network: BoardNetworkRecord.Network
      switch (family, head == SWIFTPG_BOARD_POLICY) {
      case (.mlp, true): network = .policy(try BoardPolicyNetwork.mlp(for: d, hidden: widths, using: &rng))
      case (.mlp, false): network = .value(try BoardValueNetwork.mlp(for: d, hidden: widths, using: &rng))
      case (.conv, true):
        network = .policy(try BoardPolicyNetwork.conv(for: d, channels: widths, kernelSize: Int(kernel_size), using: &rng))
      case (.conv, false):
        network = .value(try BoardValueNetwork.conv(for: d, channels: widths, kernelSize: Int(kernel_size), using: &rng))
      }
      out.pointee = try boardNetTable.insert(BoardNetObject(network))
    }
  }
}

@c @implementation
public func swiftpg_board_net_destroy(_ net: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try boardNetTable.remove(net) }
}

@c @implementation
public func swiftpg_board_net_get_info(_ net: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_board_net_info>?)
  -> Int32
{
  entry(boardNetTable, net, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let (c, h, w) = o.planeShape
    out.pointee = swiftpg_board_net_info(
      head: o.isPolicy ? SWIFTPG_BOARD_POLICY : SWIFTPG_BOARD_VALUE, trunk: o.trunk.family.rawValue,
      num_planes: Int32(c), board_height: Int32(h), board_width: Int32(w), num_outputs: Int32(o.outputCount),
      precision: o.trunk.precision.rawValue, reserved: 0, num_params: Int64(o.trunk.parameterCount))
  }
}

@c @implementation
public func swiftpg_board_net_get_params(_ net: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      try writeParameters(o.trunk.parameters, params_out, count, "board network")
    }
  }
}

@c @implementation
public func swiftpg_board_net_set_params(_ net: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      try o.trunk.setParameters(try readParameters(params, count, expected: o.trunk.parameterCount, "params"))
    }
  }
}

@c @implementation
public func swiftpg_board_net_set_precision(_ net: UInt64, _ bits: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let precision = MLP.Precision(rawValue: bits) else {
      throw .invalid("precision must be 32 or 64 bits, got \(bits)")
    }
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in o.trunk.setPrecision(precision) }
  }
}

/// Runs the network forward on `b` positions into `out` (probabilities
/// [b, A] or values [b]) through a scratch buffer, so nothing is written
/// unless the pass succeeds.
private func forward(
  _ o: BoardNetObject, _ planes: UnsafePointer<Double>, _ masks: UnsafePointer<UInt8>?, _ b: Int,
  into out: UnsafeMutablePointer<Double>
) throws(SwiftPGError) {
  var scratch = [Double](repeating: 0, count: b * o.outputCount)
  switch o.network {
  case .policy(let p):
    guard let masks else { throw SwiftPGError(.nullPointer, "masks is NULL (a policy network needs legal masks)") }
    try p.probabilities(planes: planes, masks: masks, batch: b, into: &scratch)
  case .value(let v):
    try v.values(planes: planes, batch: b, into: &scratch)
  }
  try scratch.withUnsafeBufferPointer { (p) throws(SwiftPGError) in
    if let base = p.baseAddress { try requireFiniteResult(base, p.count, "the network's outputs") }
  }
  copyOut(scratch, out)
}

@c @implementation
public func swiftpg_board_net_forward(
  _ net: UInt64, _ planes: UnsafePointer<Double>?, _ masks: UnsafePointer<UInt8>?, _ batch: Int64,
  _ out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let x = try need(planes, "planes")
    let output = try need(out, "out")
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      let b = try checkBatch(batch, width: o.inputSize)
      let m = o.isPolicy ? try need(masks, "masks") : nil
      try forward(o, x, m, b, into: output)
    }
  }
}

@c @implementation
public func swiftpg_board_net_evaluate_game(_ net: UInt64, _ game: UInt64, _ out: UnsafeMutablePointer<Double>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    let output = try need(out, "out")
    let n = try boardNetTable.get(net)
    let g = try gameTable.get(game)
    try using(n, "board network", g, "game") { (o, g) throws(SwiftPGError) in
      let d = g.dimensions
      try o.check(for: d)
      let count = g.count
      let width = o.inputSize
      let a = d.actionCount
      _ = try Limits.product([count, width + a], limit: Limits.maxScratchElements, "the games' planes and masks")
      var planes = [Double](repeating: 0, count: count * width)
      var masks = [UInt8](repeating: 0, count: count * a)
      var terminal = [UInt8](repeating: 0, count: count)
      planes.withUnsafeMutableBufferPointer { p in if let b = p.baseAddress { g.planes(into: b) } }
      masks.withUnsafeMutableBufferPointer { p in if let b = p.baseAddress { g.legalMask(into: b) } }
      terminal.withUnsafeMutableBufferPointer { p in g.status(players: nil, terminal: p.baseAddress, returns: nil) }
      let live = (0..<count).filter { terminal[$0] == 0 }
      var livePlanes = [Double](repeating: 0, count: live.count * width)
      var liveMasks = [UInt8](repeating: 0, count: live.count * a)
      for (r, i) in live.enumerated() {
        for j in 0..<width { livePlanes[r * width + j] = planes[i * width + j] }
        for j in 0..<a { liveMasks[r * a + j] = masks[i * a + j] }
      }
      let k = o.outputCount
      var values = [Double](repeating: 0, count: live.count * k)
      if !live.isEmpty {
        try values.withUnsafeMutableBufferPointer { (v) throws(SwiftPGError) in
          guard let vb = v.baseAddress else { return }
          try forward(o, livePlanes, liveMasks, live.count, into: vb)
        }
      }
      var result = [Double](repeating: 0, count: count * k)
      for (r, i) in live.enumerated() {
        for j in 0..<k { result[i * k + j] = values[r * k + j] }
      }
      copyOut(result, output)
    }
  }
}

@c @implementation
public func swiftpg_board_net_policy_gradient(
  _ net: UInt64, _ planes: UnsafePointer<Double>?, _ masks: UnsafePointer<UInt8>?, _ actions: UnsafePointer<Int32>?,
  _ weights: UnsafePointer<Double>?, _ batch: Int64, _ log_probs_out: UnsafeMutablePointer<Double>?,
  _ grad_out: UnsafeMutablePointer<Double>?, _ num_params: Int64, _ objective_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let x = try need(planes, "planes")
    let m = try need(masks, "masks")
    let acts = try need(actions, "actions")
    if let weights { _ = try need(weights, "weights") }
    let logOut = try needIfPresent(log_probs_out, "log_probs_out")
    let gradOut = try need(grad_out, "grad_out")
    let objOut = try need(objective_out, "objective_out")
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      let p = try o.policy("net")
      try require(num_params == Int64(p.parameterCount), "num_params must be \(p.parameterCount), got \(num_params)")
      let b = try checkBatch(batch, width: o.inputSize)
      var g = [Double](repeating: 0, count: p.parameterCount)
      var logs = [Double](repeating: 0, count: b)
      let total = try p.addScoreGradient(
        planes: x, masks: m, actions: acts, weights: weights, batch: b, logProbabilities: &logs, into: &g)
      try require(total.isFinite && g.allFinite, "the gradient is not finite", code: .numerical)
      copyOut(g, gradOut)
      if let logOut { copyOut(logs, logOut) }
      objOut.pointee = total
    }
  }
}

@c @implementation
public func swiftpg_board_net_value_gradient(
  _ net: UInt64, _ planes: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
  _ batch: Int64, _ values_out: UnsafeMutablePointer<Double>?, _ grad_out: UnsafeMutablePointer<Double>?,
  _ num_params: Int64, _ loss_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let x = try need(planes, "planes")
    let t = try need(targets, "targets")
    if let weights { _ = try need(weights, "weights") }
    let valuesOut = try needIfPresent(values_out, "values_out")
    let gradOut = try need(grad_out, "grad_out")
    let lossOut = try need(loss_out, "loss_out")
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      let v = try o.value("net")
      try require(num_params == Int64(v.parameterCount), "num_params must be \(v.parameterCount), got \(num_params)")
      let b = try checkBatch(batch, width: o.inputSize)
      var g = [Double](repeating: 0, count: v.parameterCount)
      var values = [Double](repeating: 0, count: b)
      let loss = try v.addLossGradient(planes: x, targets: t, weights: weights, batch: b, values: &values, into: &g)
      try require(loss.isFinite && g.allFinite, "the gradient is not finite", code: .numerical)
      copyOut(g, gradOut)
      if let valuesOut { copyOut(values, valuesOut) }
      lossOut.pointee = loss
    }
  }
}

// MARK: - Checkpoints

@c @implementation
public func swiftpg_board_net_save(_ net: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      switch o.network {
      case .policy(let p): try Checkpoint.save(p, to: file)
      case .value(let v): try Checkpoint.save(v, to: file)
      }
    }
  }
}

@c @implementation
public func swiftpg_board_net_load(_ path: UnsafePointer<CChar>?, _ net_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try register(boardNetTable, net_out, "net_out") { () throws(SwiftPGError) in
      BoardNetObject(try BoardNetworkRecord.deserialize(try Checkpoint.read(file), source: file))
    }
  }
}

@c @implementation
public func swiftpg_board_net_serialize(
  _ net: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64, _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(boardNetTable, net, buffer, capacity, size_out) { (o) in o.serialize() }
}

@c @implementation
public func swiftpg_board_net_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ net_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, boardNetTable, net_out, "net_out") { (data) throws(SwiftPGError) in
    BoardNetObject(try BoardNetworkRecord.deserialize(data))
  }
}

// MARK: - Supervised fits

/// A supervised config from C (checked by the trainer's own validation).
private func trainingConfig(_ config: UnsafePointer<swiftpg_sft_config>?) throws(SwiftPGError)
  -> SupervisedTrainer.Config
{
  let c = try readConfig(config)
  return SupervisedTrainer.Config(
    epochs: Int(c.epochs), minibatchSize: Int(c.minibatch_size), learningRate: c.learning_rate,
    weightDecay: c.weight_decay, seed: c.seed)
}

/// Copies `count` rows of planes, masks and actions into a data set.
private func expertData(
  _ planes: UnsafePointer<Double>?, _ masks: UnsafePointer<UInt8>?, _ actions: UnsafePointer<Int32>?, _ count: Int,
  width: Int, actionCount: Int, _ prefix: String
) throws(SwiftPGError) -> (FeatureRows, SupervisedLabels) {
  let x = try need(planes, "\(prefix)planes")
  let m = try need(masks, "\(prefix)masks")
  let a = try need(actions, "\(prefix)actions")
  try requireFinite(x, count * width, "\(prefix)planes", width: width)
  let maskValues = Array(UnsafeBufferPointer(start: m, count: count * actionCount))
  for (k, v) in maskValues.enumerated() where v > 1 {
    throw .invalid("\(prefix)masks[\(k / actionCount), \(k % actionCount)] is \(v); mask values are 0 or 1")
  }
  let targets = Array(UnsafeBufferPointer(start: a, count: count))
  let rows = try FeatureRows(values: Array(UnsafeBufferPointer(start: x, count: count * width)), count: count, width: width)
  let labels = try SupervisedLabels(targets: targets, actionCount: actionCount, mask: maskValues)
  return (rows, labels)
}

@c @implementation
public func swiftpg_board_net_fit_policy(
  _ net: UInt64, _ planes: UnsafePointer<Double>?, _ masks: UnsafePointer<UInt8>?, _ actions: UnsafePointer<Int32>?,
  _ count: Int64, _ held_planes: UnsafePointer<Double>?, _ held_masks: UnsafePointer<UInt8>?,
  _ held_actions: UnsafePointer<Int32>?, _ held_count: Int64, _ config: UnsafePointer<swiftpg_sft_config>?,
  _ history_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try trainingConfig(config)
    let out = try need(history_out, "history_out")
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      let p = try o.policy("net")
      let width = o.inputSize
      let a = p.actionCount
      let m = try checkBatch(count, width: width + a, "count")
      try require(m >= 1, "count must be >= 1")
      let h = try checkBatch(held_count, width: width + a, "held_count")
      let train = try expertData(planes, masks, actions, m, width: width, actionCount: a, "")
      let held = h > 0 ? try expertData(held_planes, held_masks, held_actions, h, width: width, actionCount: a, "held_") : nil
      let trainer = try SupervisedTrainer(parameterCount: p.parameterCount, config: c)
      trainer.cancellation = o.cancellation
      let history = try trainer.fit(
        p, inputs: train.0, labels: train.1, heldOut: held.map { (inputs: $0.0, labels: $0.1) })
      for e in 0..<history.loss.count {
        out[4 * e] = history.loss[e]
        out[4 * e + 1] = history.accuracy[e]
        out[4 * e + 2] = e < history.heldOutLoss.count ? history.heldOutLoss[e] : .nan
        out[4 * e + 3] = e < history.heldOutAccuracy.count ? history.heldOutAccuracy[e] : .nan
      }
    }
  }
}

@c @implementation
public func swiftpg_board_net_fit_value(
  _ net: UInt64, _ planes: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ count: Int64,
  _ held_planes: UnsafePointer<Double>?, _ held_targets: UnsafePointer<Double>?, _ held_count: Int64,
  _ config: UnsafePointer<swiftpg_sft_config>?, _ losses_out: UnsafeMutablePointer<Double>?,
  _ held_out_mse_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try trainingConfig(config)
    try require(c.weightDecay == 0, "weight_decay must be 0 for the value fit, got \(c.weightDecay)")
    try require(c.epochs >= 1 && c.epochs <= 1 << 20, "epochs must be in [1, 2^20], got \(c.epochs)")
    try require(c.minibatchSize >= 1 && c.minibatchSize <= 1 << 24, "minibatch_size must be in [1, 2^24], got \(c.minibatchSize)")
    let lossesOut = try need(losses_out, "losses_out")
    let mseOut = try needIfPresent(held_out_mse_out, "held_out_mse_out")
    try using(boardNetTable, net) { (o) throws(SwiftPGError) in
      let v = try o.value("net")
      let width = o.inputSize
      let m = try checkBatch(count, width: width + 1, "count")
      try require(m >= 1, "count must be >= 1")
      let h = try checkBatch(held_count, width: width + 1, "held_count")
      let x = try need(planes, "planes")
      let t = try need(targets, "targets")
      try requireFinite(x, m * width, "planes", width: width)
      try requireFinite(t, m, "targets")
      var heldX: [Double] = []
      var heldT: [Double] = []
      if h > 0 {
        let hx = try need(held_planes, "held_planes")
        let ht = try need(held_targets, "held_targets")
        try requireFinite(hx, h * width, "held_planes", width: width)
        try requireFinite(ht, h, "held_targets")
        heldX = Array(UnsafeBufferPointer(start: hx, count: h * width))
        heldT = Array(UnsafeBufferPointer(start: ht, count: h))
      }
      let saved = v.parameters
      do throws(SwiftPGError) {
        let losses = try ValueTargets.fit(
          v, planes: Array(UnsafeBufferPointer(start: x, count: m * width)),
          targets: Array(UnsafeBufferPointer(start: t, count: m)), epochs: c.epochs, minibatchSize: c.minibatchSize,
          learningRate: c.learningRate, seed: c.seed)
        var mse = Double.nan
        if h > 0 {
          var values = [Double](repeating: 0, count: h)
          try v.values(planes: heldX, batch: h, into: &values)
          var total = 0.0
          for i in 0..<h { total += (values[i] - heldT[i]) * (values[i] - heldT[i]) }
          mse = total / Double(h)
        }
        try require(losses.allFinite, "the value loss is not finite", code: .numerical)
        copyOut(losses, lossesOut)
        mseOut?.pointee = mse
      } catch {
        try? v.setParameters(saved)
        throw error
      }
    }
  }
}

// MARK: - Data for the AlphaGo steps

@c @implementation
public func swiftpg_expert_moves(
  _ game: UInt64, _ expert: UInt64, _ num_games: Int32, _ held_out_share: Double, _ seed: UInt64, _ capacity: Int64,
  _ planes_out: UnsafeMutablePointer<Double>?, _ masks_out: UnsafeMutablePointer<UInt8>?,
  _ actions_out: UnsafeMutablePointer<Int32>?, _ count_out: UnsafeMutablePointer<Int64>?,
  _ held_out_count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let planesOut = try need(planes_out, "planes_out")
    let masksOut = try need(masks_out, "masks_out")
    let actionsOut = try need(actions_out, "actions_out")
    let countOut = try need(count_out, "count_out")
    let heldOut = try need(held_out_count_out, "held_out_count_out")
    try require(num_games >= 1 && num_games <= 1 << 20, "num_games must be in [1, 2^20], got \(num_games)")
    try require(
      held_out_share > 0 && held_out_share < 1, "held_out_share must be in (0, 1), got \(held_out_share)")
    let p = try playerTable.get(expert)
    let g = try gameTable.get(game)
    try using(p, "expert", g, "game") { (p, g) throws(SwiftPGError) in
      let d = g.dimensions
      let most = try checkedProduct(Int(num_games), d.maxGameLength, "num_games × max_game_length")
      try require(
        capacity >= Int64(most),
        "capacity must be at least num_games × max_game_length = \(most), got \(capacity)", code: .bufferTooSmall)
      let ex = try boardGame(g).expertMoves(
        expert: p, games: Int(num_games), heldOutShare: held_out_share, seed: seed)
      copyOut(ex.planes, planesOut)
      copyOut(ex.masks, masksOut)
      copyOut(ex.actions, actionsOut)
      countOut.pointee = Int64(ex.actions.count)
      heldOut.pointee = Int64(ex.heldOutCount)
    }
  }
}

@c @implementation
public func swiftpg_value_targets(
  _ game: UInt64, _ policy_net: UInt64, _ num_games: Int32, _ seed: UInt64,
  _ planes_out: UnsafeMutablePointer<Double>?, _ targets_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let planesOut = try need(planes_out, "planes_out")
    let targetsOut = try need(targets_out, "targets_out")
    try require(num_games >= 1 && num_games <= 1 << 20, "num_games must be in [1, 2^20], got \(num_games)")
    let n = try boardNetTable.get(policy_net)
    let g = try gameTable.get(game)
    try using(n, "policy network", g, "game") { (o, g) throws(SwiftPGError) in
      let p = try o.policy("policy_net")
      _ = try Limits.product([Int(num_games), o.inputSize], limit: Limits.maxScratchElements, "planes_out")
      let r = try boardGame(g).valueTargets(policy: p, games: Int(num_games), seed: seed)
      copyOut(r.planes, planesOut)
      copyOut(r.targets, targetsOut)
    }
  }
}

// MARK: - Players

/// The C default of the PUCT settings: c_puct 3 rather than the Swift
/// default 1.5, which explores too little while the priors are near flat.
private let defaultCPuct = 3.0

@c @implementation
public func swiftpg_puct_default_config(_ config_out: UnsafeMutablePointer<swiftpg_puct_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = PUCTConfig()
    return swiftpg_puct_config(
      size: size, simulations: Int32(d.simulations), c_puct: defaultCPuct, rollout_weight: d.rolloutWeight,
      dirichlet_alpha: d.dirichletAlpha, dirichlet_epsilon: d.dirichletEpsilon, temperature: 0)
  }
}

/// The networks of a player: copies of the handles' networks (0: none).
private func playerNetworks(_ policy_net: UInt64, _ value_net: UInt64) throws(SwiftPGError)
  -> (BoardPolicyNetwork?, BoardValueNetwork?)
{
  var policy: BoardPolicyNetwork? = nil
  var value: BoardValueNetwork? = nil
  if policy_net != 0 {
    try using(boardNetTable, policy_net) { (o) throws(SwiftPGError) in
      _ = try o.policy("policy_net")
      if case .policy(let p) = try o.copy() { policy = p }
    }
  }
  if value_net != 0 {
    try using(boardNetTable, value_net) { (o) throws(SwiftPGError) in
      _ = try o.value("value_net")
      if case .value(let v) = try o.copy() { value = v }
    }
  }
  return (policy, value)
}

private func createSearchPlayer(
  _ game: UInt64, _ policy_net: UInt64, _ value_net: UInt64, _ config: PUCTConfig, _ temperature: Double,
  _ player_out: UnsafeMutablePointer<UInt64>?
) throws(SwiftPGError) {
  let out = try need(player_out, "player_out")
  try require(temperature.isFinite && temperature >= 0, "the temperature must be finite and >= 0, got \(temperature)")
  try config.validate()
  let (policy, value) = try playerNetworks(policy_net, value_net)
  try using(gameTable, game) { (g) throws(SwiftPGError) in
    let player = try boardGame(g).puctPlayer(config: config, temperature: temperature, policy: policy, value: value)
    out.pointee = try playerTable.insert(player)
  }
}

@c @implementation
public func swiftpg_player_create_puct(
  _ game: UInt64, _ policy_net: UInt64, _ value_net: UInt64, _ config: UnsafePointer<swiftpg_puct_config>?,
  _ player_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    let search = PUCTConfig(
      simulations: Int(c.simulations), cPuct: c.c_puct, rolloutWeight: c.rollout_weight,
      dirichletAlpha: c.dirichlet_alpha, dirichletEpsilon: c.dirichlet_epsilon)
    try createSearchPlayer(game, policy_net, value_net, search, c.temperature, player_out)
  }
}

@c @implementation
public func swiftpg_player_create_policy(
  _ game: UInt64, _ policy_net: UInt64, _ temperature: Double, _ player_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(policy_net != 0, "policy_net is 0: the policy player needs a policy network", code: .badHandle)
    // One simulation evaluates the root only: the move follows the prior.
    try createSearchPlayer(game, policy_net, 0, PUCTConfig(simulations: 1, cPuct: defaultCPuct), temperature, player_out)
  }
}

// MARK: - Learners

@c @implementation
public func swiftpg_selfplay_default_config(_ config_out: UnsafeMutablePointer<swiftpg_selfplay_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = SelfPlayReinforce<TicTacToe>.Config()
    return swiftpg_selfplay_config(
      size: size, games_per_iteration: Int32(d.gamesPerIteration), learning_rate: d.learningRate,
      value_learning_rate: d.valueLearningRate, snapshot_interval: Int32(d.snapshotInterval),
      pool_capacity: Int32(d.poolCapacity), seed: d.seed)
  }
}

@c @implementation
public func swiftpg_alphazero_default_config(_ config_out: UnsafeMutablePointer<swiftpg_alphazero_config>?) -> Int32 {
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let d = AlphaZeroLearner<TicTacToe>.Config()
    return swiftpg_alphazero_config(
      size: size, games_per_iteration: Int32(d.gamesPerIteration), temperature_moves: Int32(d.temperatureMoves),
      epochs: Int32(d.epochs), minibatch_size: Int32(d.minibatchSize), simulations: Int32(d.search.simulations),
      learning_rate: d.learningRate, c_puct: defaultCPuct, rollout_weight: d.search.rolloutWeight,
      dirichlet_alpha: d.search.dirichletAlpha, dirichlet_epsilon: d.search.dirichletEpsilon, seed: d.seed)
  }
}

/// Builds a learner with the game and the networks held.
private func createLearner(
  _ game: UInt64, _ policy_net: UInt64, _ value_net: UInt64, _ learner_out: UnsafeMutablePointer<UInt64>?,
  valueRequired: Bool,
  _ make: (any BoardNetworkGame, Guarded<BoardNetObject>, Guarded<BoardNetObject>?) throws(SwiftPGError) -> BoardLearnerObject
) throws(SwiftPGError) {
  let out = try need(learner_out, "learner_out")
  if valueRequired {
    try require(value_net != 0, "value_net is 0: AlphaZero trains a value network", code: .badHandle)
  }
  let p = try boardNetTable.get(policy_net)
  let v = value_net == 0 ? nil : try boardNetTable.get(value_net)
  try require(v !== p, "policy_net and value_net are the same handle")
  let g = try gameTable.get(game)
  var held: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
    (g.tryAcquire, g.release, "game"), (p.tryAcquire, p.release, "policy network"),
  ]
  if let v { held.append((v.tryAcquire, v.release, "value network")) }
  try usingAll(held) { () throws(SwiftPGError) in
    out.pointee = try boardLearnerTable.insert(try make(try boardGame(g.object), p, v))
  }
}

@c @implementation
public func swiftpg_selfplay_create(
  _ game: UInt64, _ policy_net: UInt64, _ value_net: UInt64, _ config: UnsafePointer<swiftpg_selfplay_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    try createLearner(game, policy_net, value_net, learner_out, valueRequired: false) { (g, p, v) throws(SwiftPGError) in
      try g.reinforceLearner(config: c, policy: p, value: v)
    }
  }
}

@c @implementation
public func swiftpg_alphazero_create(
  _ game: UInt64, _ policy_net: UInt64, _ value_net: UInt64, _ config: UnsafePointer<swiftpg_alphazero_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    try createLearner(game, policy_net, value_net, learner_out, valueRequired: true) { (g, p, v) throws(SwiftPGError) in
      guard let v else { throw SwiftPGError(.badHandle, "value_net is 0") }
      return try g.alphaZeroLearner(config: c, policy: p, value: v)
    }
  }
}

@c @implementation
public func swiftpg_selfplay_iterate(_ learner: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_selfplay_stats>?)
  -> Int32
{
  entry(boardLearnerTable, learner, output: stats_out, "stats_out") { (l, out) throws(SwiftPGError) in
    out.pointee = try l.iterateReinforce()
  }
}

@c @implementation
public func swiftpg_alphazero_iterate(_ learner: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_alphazero_stats>?)
  -> Int32
{
  entry(boardLearnerTable, learner, output: stats_out, "stats_out") { (l, out) throws(SwiftPGError) in
    out.pointee = try l.iterateAlphaZero()
  }
}

@c @implementation
public func swiftpg_board_learner_destroy(_ learner: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try boardLearnerTable.remove(learner) }
}

@c @implementation
public func swiftpg_board_learner_save(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(boardLearnerTable, learner) { (l) throws(SwiftPGError) in try l.save(to: file) }
  }
}

@c @implementation
public func swiftpg_board_learner_load(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(boardLearnerTable, learner) { (l) throws(SwiftPGError) in try l.load(from: file) }
  }
}
