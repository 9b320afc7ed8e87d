/// What a search asks of its networks about a batch of positions: a prior
/// over the legal actions and a value for the player to move (PUCT's P(s,
/// ·) and V(s), Silver et al. 2016, 2017). The search evaluates the leaves
/// of many trees in one call, so one network forward serves them all.
public protocol PositionEvaluator: AnyObject {
  /// A short description ("policy+value", "uniform").
  var label: String { get }
  /// Refuses (`.invalidArgument`) networks whose planes or actions do not
  /// fit `game`.
  func check(for game: any GameDimensions) throws(SwiftPGError)
  /// Priors and values of `batch` positions.
  /// - Parameters:
  ///   - planes: `[batch, C, H, W]`, the games' network planes.
  ///   - masks: `[batch, A]` (A = `actionCount`), 1 for a legal action (at
  ///     least one per row).
  ///   - priors: `[batch, A]` out: a distribution over each row's legal
  ///     actions, 0 on the illegal ones.
  ///   - values: `[batch]` out: the expected outcome in [−1, 1] for the
  ///     player to move.
  func evaluate(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, batch: Int, actionCount: Int,
    priors: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError)
}

/// A policy network's priors and a value network's values; either may be
/// absent: no policy gives uniform priors over the legal actions, no value
/// network gives values 0 (then only rollouts, mixing weight λ = 1, score
/// the leaves). Neither: PUCT with uniform priors and random rollouts, a
/// network-free baseline.
public final class NetworkEvaluator: PositionEvaluator {
  public let policy: BoardPolicyNetwork?
  public let value: BoardValueNetwork?

  public init(policy: BoardPolicyNetwork?, value: BoardValueNetwork?) {
    self.policy = policy
    self.value = value
  }

  public var label: String {
    switch (policy != nil, value != nil) {
    case (true, true): "policy+value"
    case (true, false): "policy"
    case (false, true): "value"
    case (false, false): "uniform"
    }
  }

  public func check(for game: any GameDimensions) throws(SwiftPGError) {
    if let policy {
      try require(
        policy.planeCount == game.planeCount && policy.boardHeight == game.boardHeight
          && policy.boardWidth == game.boardWidth && policy.actionCount == game.actionCount,
        "the policy network reads \(policy.planeCount) × \(policy.boardHeight) × \(policy.boardWidth) planes for "
          + "\(policy.actionCount) actions; \(game.name) has \(game.planeCount) × \(game.boardHeight) × "
          + "\(game.boardWidth) and \(game.actionCount)")
    }
    if let value {
      try require(
        value.planeCount == game.planeCount && value.boardHeight == game.boardHeight
          && value.boardWidth == game.boardWidth,
        "the value network reads \(value.planeCount) × \(value.boardHeight) × \(value.boardWidth) planes; "
          + "\(game.name) has \(game.planeCount) × \(game.boardHeight) × \(game.boardWidth)")
    }
  }

  public func evaluate(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, batch: Int, actionCount: Int,
    priors: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    if let policy {
      try policy.probabilities(planes: planes, masks: masks, batch: batch, into: priors)
    } else {
      for i in 0..<batch {
        var legal = 0
        for a in 0..<actionCount { legal += masks[i * actionCount + a] == 1 ? 1 : 0 }
        try require(legal > 0, "position \(i) has no legal action")
        let p = 1 / Double(legal)
        for a in 0..<actionCount { priors[i * actionCount + a] = masks[i * actionCount + a] == 1 ? p : 0 }
      }
    }
    if let value {
      try value.values(planes: planes, batch: batch, into: values)
    } else {
      values.update(repeating: 0, count: batch)
    }
  }
}
