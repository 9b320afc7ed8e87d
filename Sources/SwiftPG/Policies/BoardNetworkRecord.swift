/// A board policy or value network as a bundle (`Serialization.swift`):
/// kind `.boardNetwork` (8), one section `board_network`. Its checkpoint
/// file (`Checkpoint.save(_:to:)`, `Checkpoint.loadBoardPolicy`,
/// `Checkpoint.loadBoardValue`) holds the same bytes as `serialize`.
///
/// Fields (section version 1): `trunk` (`BoardTrunkFamily`: 1 MLP, 2
/// ConvNet), `specification` (the trunk's `trunkSpecification`),
/// `parameters`, `precision` (the trunk's arithmetic, 32 or 64), `head` (1
/// policy, 2 value), `planes` ([C, H, W]) and `actions` (A for a policy, 1
/// for a value network).
///
/// Reading checks, in order: the container (magic, version 2, checksum,
/// kind), the section's version and every field (types, no unknown or
/// missing field, finite parameters, the head code, the plane sizes in
/// 1…1024, the action count in 1…2^16), the trunk family and its
/// specification (sizes in range; the trunk is then built, at most
/// `Limits.maxParameters` values), the stored parameter count against the
/// trunk's, and the planes and actions against the trunk's inputs and
/// outputs. Anything invalid is `.badFormat` naming the source and the
/// field; nothing traps.
public enum BoardNetworkRecord {
  public static let version: Int64 = 1
  static let section = "board_network"

  /// What a board-network bundle holds.
  public enum Network {
    case policy(BoardPolicyNetwork)
    case value(BoardValueNetwork)
  }

  static func encode(
    trunk: any BoardTrunk, head: Int, planes: [Int], actions: Int
  ) -> Record {
    var r = Record.model(
      version: version, familyField: "trunk", family: Int(trunk.family.rawValue),
      specification: trunk.trunkSpecification, parameters: trunk.parameters, precision: trunk.precision)
    r.set("head", int: head)
    r.set("planes", ints: planes)
    r.set("actions", int: actions)
    return r
  }

  public static func encode(_ net: BoardPolicyNetwork) -> Record {
    encode(
      trunk: net.trunk, head: 1, planes: [net.planeCount, net.boardHeight, net.boardWidth], actions: net.actionCount)
  }

  public static func encode(_ net: BoardValueNetwork) -> Record {
    encode(trunk: net.trunk, head: 2, planes: [net.planeCount, net.boardHeight, net.boardWidth], actions: 1)
  }

  public static func serialize(_ net: BoardPolicyNetwork) -> [UInt8] {
    Bundle.encode(.boardNetwork, section: section, encode(net))
  }

  public static func serialize(_ net: BoardValueNetwork) -> [UInt8] {
    Bundle.encode(.boardNetwork, section: section, encode(net))
  }

  /// The network of a board-network bundle (`.badFormat` for anything
  /// else: damaged or truncated bytes, another kind, a bad field).
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> Network {
    try Bundle.decodeSection(
      bytes, source: source, kind: .boardNetwork, section: section, holding: "a board network", decode)
  }

  /// Builds the network of a section (`.badFormat` for anything invalid).
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> Network {
    try r.requireVersion(version, "the board-network section has")
    let (c, precision) = try r.modelFields(.boardNetwork, familyField: "trunk")
    let head = try r.int("head", in: 1...2)
    let planes = try r.ints("planes", count: 3, in: 1...1024)
    let actions = try r.int("actions", in: 1...Int64(MLP.maxLayerSize))
    try r.finish()
    guard c.family <= 2, let family = BoardTrunkFamily(rawValue: Int32(c.family)) else {
      throw r.fail("unknown trunk family \(c.family) (1 MLP, 2 ConvNet)")
    }
    return try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) -> Network in
      let trunk = try makeBoardTrunk(family: family, specification: c.specification)
      guard c.parameters.count == trunk.parameterCount else {
        throw r.fail("\(c.parameters.count) parameters for a trunk that has \(trunk.parameterCount)")
      }
      try trunk.setParameters(c.parameters)
      trunk.setPrecision(precision)
      if head == 1 {
        return .policy(
          try BoardPolicyNetwork(
            trunk: trunk, planeCount: planes[0], boardHeight: planes[1], boardWidth: planes[2], actionCount: actions))
      }
      guard actions == 1 else { throw r.fail("field 'actions' is \(actions); a value network has 1") }
      return .value(
        try BoardValueNetwork(trunk: trunk, planeCount: planes[0], boardHeight: planes[1], boardWidth: planes[2]))
    }
  }
}

extension Checkpoint {
  /// Saves a board policy network (its bundle, `BoardNetworkRecord`) to
  /// `path` atomically (`write(_:to:)`).
  public static func save(_ net: BoardPolicyNetwork, to path: String) throws(SwiftPGError) {
    try write(BoardNetworkRecord.serialize(net), to: path)
  }

  /// Saves a board value network (its bundle, `BoardNetworkRecord`).
  public static func save(_ net: BoardValueNetwork, to path: String) throws(SwiftPGError) {
    try write(BoardNetworkRecord.serialize(net), to: path)
  }

  /// Loads a board policy network; `.badFormat` for a value network's file.
  public static func loadBoardPolicy(_ path: String) throws(SwiftPGError) -> BoardPolicyNetwork {
    guard case .policy(let net) = try BoardNetworkRecord.deserialize(try read(path), source: path) else {
      throw SwiftPGError(.badFormat, "\(path) holds a board value network, not a policy network")
    }
    return net
  }

  /// Loads a board value network; `.badFormat` for a policy network's file.
  public static func loadBoardValue(_ path: String) throws(SwiftPGError) -> BoardValueNetwork {
    guard case .value(let net) = try BoardNetworkRecord.deserialize(try read(path), source: path) else {
      throw SwiftPGError(.badFormat, "\(path) holds a board policy network, not a value network")
    }
    return net
  }
}
