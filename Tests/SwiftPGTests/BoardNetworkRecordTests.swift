#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

/// Policies/BoardNetworkRecord.swift: policy and value networks of both
/// trunks round-trip bit for bit (outputs too, in either precision); every
/// field is validated on load.
@Suite struct BoardNetworkRecordTests {
  static func policies() throws -> [BoardPolicyNetwork] {
    let game = TicTacToe()
    var rng = SplitMix64(seed: 9)
    let conv = try BoardPolicyNetwork.conv(for: game, channels: [4, 2], using: &rng)
    conv.trunk.setPrecision(.float32)
    return [try BoardPolicyNetwork.mlp(for: game, hidden: [6, 5], using: &rng), conv]
  }

  @Test func policyAndValueNetworksRoundTrip() throws {
    let pos = BoardPositions(TicTacToe(), count: 4, seed: 1)
    for net in try Self.policies() {
      guard case .policy(let copy) = try BoardNetworkRecord.deserialize(BoardNetworkRecord.serialize(net)) else {
        Issue.record("a policy network came back as a value network")
        continue
      }
      #expect(copy.parameters == net.parameters && copy.trunk.family == net.trunk.family)
      #expect(copy.trunk.precision == net.trunk.precision && copy.actionCount == 9)
      var a = [Double](repeating: 0, count: 36)
      var b = a
      try net.probabilities(planes: pos.planes, masks: pos.masks, batch: 4, into: &a)
      try copy.probabilities(planes: pos.planes, masks: pos.masks, batch: 4, into: &b)
      #expect(a == b)
    }
    var rng = SplitMix64(seed: 2)
    let value = try BoardValueNetwork.conv(for: TicTacToe(), channels: [3], using: &rng)
    guard case .value(let copy) = try BoardNetworkRecord.deserialize(BoardNetworkRecord.serialize(value)) else {
      Issue.record("a value network came back as a policy network")
      return
    }
    var a = [Double](repeating: 0, count: 4)
    var b = a
    try value.values(planes: pos.planes, batch: 4, into: &a)
    try copy.values(planes: pos.planes, batch: 4, into: &b)
    #expect(a == b && copy.parameters == value.parameters)
  }

  @Test func filesRoundTripAndHeadsAreChecked() throws {
    let path = "/tmp/swiftpg-board-network-\(UInt64.random(in: 0...UInt64.max)).ckpt"
    let net = try Self.policies()[1]
    try Checkpoint.save(net, to: path)
    #expect(try Checkpoint.loadBoardPolicy(path).parameters == net.parameters)
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadBoardValue(path) }
    _ = unlink(path)
  }

  /// The section with `change` applied, re-encoded (a valid container).
  static func edited(_ net: BoardPolicyNetwork, _ change: (inout Record) -> Void) throws -> [UInt8] {
    let bundle = try Bundle.decode(BoardNetworkRecord.serialize(net))
    guard case .record(var section) = bundle.record["board_network"] else { return [] }
    change(&section)
    var root = Record()
    root.set("board_network", record: section)
    return Bundle(kind: .boardNetwork, record: root).encode()
  }

  @Test func everyFieldIsValidated() throws {
    let net = try Self.policies()[1]
    let n = net.parameterCount
    let edits: [(String, (inout Record) -> Void)] = [
      ("version", { $0.set("version", int: 2) }),
      ("missing head", { $0.remove("head") }),
      ("head 3", { $0.set("head", int: 3) }),
      ("head as text", { $0.set("head", text: "policy") }),
      ("unknown field", { $0.set("extra", int: 1) }),
      ("trunk 7", { $0.set("trunk", int: 7) }),
      ("planes count", { $0.set("planes", ints: [3, 3]) }),
      ("planes 0", { $0.set("planes", ints: [0, 3, 3]) }),
      ("planes mismatch", { $0.set("planes", ints: [2, 3, 3]) }),
      ("actions mismatch", { $0.set("actions", int: 8) }),
      ("actions 0", { $0.set("actions", int: 0) }),
      ("parameters short", { $0.set("parameters", doubles: [Double](repeating: 0, count: n - 1)) }),
      ("parameters nan", { $0.set("parameters", doubles: [.nan] + [Double](repeating: 0, count: n - 1)) }),
      ("precision 16", { $0.set("precision", int: 16) }),
      ("specification even kernel", { $0.set("specification", doubles: [3, 3, 3, 2, 2, 4, 2, 9]) }),
      ("specification fraction", { $0.set("specification", doubles: [3, 3, 3, 3, 2, 4.5, 2, 9]) }),
      ("specification short", { $0.set("specification", doubles: [3, 3]) }),
    ]
    for (what, edit) in edits {
      let bytes = try Self.edited(net, edit)
      let error = #expect(throws: SwiftPGError.self, "\(what)") { try BoardNetworkRecord.deserialize(bytes) }
      #expect(error?.code == .badFormat, "\(what): \(String(describing: error))")
    }
    _ = try BoardNetworkRecord.deserialize(try Self.edited(net, { _ in }))  // the unedited section loads
    var bytes = BoardNetworkRecord.serialize(net)
    bytes[bytes.count / 2] ^= 1
    #expect(throws: SwiftPGError.self) { try BoardNetworkRecord.deserialize(bytes) }
    let other = Bundle(kind: .value, record: try Bundle.decode(BoardNetworkRecord.serialize(net)).record).encode()
    #expect(throws: SwiftPGError.self) { try BoardNetworkRecord.deserialize(other) }
    for cut in [0, 10, bytes.count - 9] {
      #expect(throws: SwiftPGError.self) { try BoardNetworkRecord.deserialize(Array(BoardNetworkRecord.serialize(net)[0..<cut])) }
    }
  }
}
