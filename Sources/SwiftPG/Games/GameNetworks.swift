/// Board networks sized for a game (its planes [C, H, W] and actions A):
/// the policy and value networks of `Policies/` with an MLP or a `ConvNet`
/// trunk, initialised so that the first policy is near uniform and the
/// first values near 0.
extension BoardPolicyNetwork {
  /// A policy network for `game` with an MLP trunk (`hidden` layer sizes),
  /// orthogonally initialised (gain √2 hidden, 0.01 output: a near-uniform
  /// first policy).
  public static func mlp(
    for game: some GameDimensions, hidden: [Int], activation: Activation = .relu,
    using rng: inout some RandomNumberGenerator
  ) throws(SwiftPGError) -> BoardPolicyNetwork {
    let mlp = try MLP(sizes: [game.planeCount * game.cellCount] + hidden + [game.actionCount], activation: activation)
    mlp.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 0.01, using: &rng)
    return try BoardPolicyNetwork(
      trunk: mlp, planeCount: game.planeCount, boardHeight: game.boardHeight, boardWidth: game.boardWidth,
      actionCount: game.actionCount)
  }

  /// A policy network for `game` with a `ConvNet` trunk (`channels` per
  /// convolution layer, k × k kernels), He-initialised.
  public static func conv(
    for game: some GameDimensions, channels: [Int], kernelSize: Int = 3, using rng: inout some RandomNumberGenerator
  ) throws(SwiftPGError) -> BoardPolicyNetwork {
    let net = try ConvNet(
      planes: game.planeCount, height: game.boardHeight, width: game.boardWidth, channels: channels,
      kernelSize: kernelSize, outputSize: game.actionCount)
    net.initialize(using: &rng)
    return try BoardPolicyNetwork(
      trunk: net, planeCount: game.planeCount, boardHeight: game.boardHeight, boardWidth: game.boardWidth,
      actionCount: game.actionCount)
  }

}

extension BoardValueNetwork {
  /// A value network for `game` with an MLP trunk, orthogonally
  /// initialised (gain √2 hidden, 0.01 output: first values near 0).
  public static func mlp(
    for game: some GameDimensions, hidden: [Int], activation: Activation = .relu,
    using rng: inout some RandomNumberGenerator
  ) throws(SwiftPGError) -> BoardValueNetwork {
    let mlp = try MLP(sizes: [game.planeCount * game.cellCount] + hidden + [1], activation: activation)
    mlp.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 0.01, using: &rng)
    return try BoardValueNetwork(
      trunk: mlp, planeCount: game.planeCount, boardHeight: game.boardHeight, boardWidth: game.boardWidth)
  }

  /// A value network for `game` with a `ConvNet` trunk, He-initialised.
  public static func conv(
    for game: some GameDimensions, channels: [Int], kernelSize: Int = 3, using rng: inout some RandomNumberGenerator
  ) throws(SwiftPGError) -> BoardValueNetwork {
    let net = try ConvNet(
      planes: game.planeCount, height: game.boardHeight, width: game.boardWidth, channels: channels,
      kernelSize: kernelSize, outputSize: 1)
    net.initialize(using: &rng)
    return try BoardValueNetwork(
      trunk: net, planeCount: game.planeCount, boardHeight: game.boardHeight, boardWidth: game.boardWidth)
  }

}
