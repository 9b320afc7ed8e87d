import CSwiftPG
import SwiftPG

@c @implementation
public func swiftpg_abi_version(_ version_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try need(version_out, "version_out").pointee = SWIFTPG_ABI_VERSION
  }
}

/// The live count of each handle kind's table.
private func liveCount(_ kind: HandleKind) -> Int {
  switch kind {
  case .env: envTable.liveCount
  case .policy: policyTable.liveCount
  case .algorithm: algorithmTable.liveCount
  case .value: valueTable.liveCount
  case .sequenceTask: sequenceTaskTable.liveCount
  case .sequencePolicy: sequencePolicyTable.liveCount
  case .rewardModel: rewardModelTable.liveCount
  case .preferenceTrainer: preferenceTrainerTable.liveCount
  case .rlhfLearner: rlhfLearnerTable.liveCount
  case .game: gameTable.liveCount
  case .gamePlayer: playerTable.liveCount
  case .dqn: dqnTable.liveCount
  case .boardNetwork: boardNetTable.liveCount
  case .boardLearner: boardLearnerTable.liveCount
  case .selfplayPipeline: pipelineTable.liveCount
  }
}

@c @implementation
public func swiftpg_live_handles(_ kind: Int32, _ count_out: UnsafeMutablePointer<Int64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(count_out, "count_out")
    if kind == SWIFTPG_KIND_ALL {
      out.pointee = Int64(HandleKind.allCases.reduce(0) { $0 + liveCount($1) })
      return
    }
    guard kind > 0, let k = HandleKind(rawValue: UInt64(kind)) else {
      let known = HandleKind.allCases.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", ")
      throw .invalid("unknown handle kind \(kind); expected 0 (all), \(known)")
    }
    out.pointee = Int64(liveCount(k))
  }
}

@c @implementation
public func swiftpg_cancel(_ handle: UInt64, _ requested: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(requested == 0 || requested == 1, "requested must be 0 or 1, got \(requested)")
    // Policies and value functions run no long calls: their handles are
    // checked, and there is nothing to stop.
    let flag: CancellationFlag?
    switch HandleKind(rawValue: handle >> 56) {
    case .env: flag = try envTable.get(handle).object.cancellation
    case .algorithm: flag = try algorithmTable.get(handle).object.cancellation
    case .policy: flag = nil; _ = try policyTable.get(handle)
    case .value: flag = nil; _ = try valueTable.get(handle)
    case .sequenceTask: flag = nil; _ = try sequenceTaskTable.get(handle)
    case .sequencePolicy: flag = nil; _ = try sequencePolicyTable.get(handle)
    case .rewardModel: flag = try rewardModelTable.get(handle).object.cancellation
    case .preferenceTrainer: flag = try preferenceTrainerTable.get(handle).object.cancellation
    case .rlhfLearner: flag = try rlhfLearnerTable.get(handle).object.cancellation
    case .game: flag = try gameTable.get(handle).object.cancellation
    case .gamePlayer: flag = try playerTable.get(handle).object.cancellation
    case .dqn: flag = try dqnTable.get(handle).object.cancellation
    case .boardNetwork: flag = try boardNetTable.get(handle).object.cancellation
    case .boardLearner: flag = try boardLearnerTable.get(handle).object.cancellation
    case .selfplayPipeline: flag = try pipelineTable.get(handle).object.cancellation
    case nil:
      throw SwiftPGError(.badHandle, handle == 0 ? "handle 0 is never valid" : "\(hex(handle)) is not a swiftpg handle")
    }
    if requested == 1 { flag?.request() } else { flag?.withdraw() }
  }
}
