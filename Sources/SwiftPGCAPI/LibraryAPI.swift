import CSwiftPG
import SwiftPG

@c @implementation
public func swiftpg_abi_version(_ version_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try need(version_out, "version_out").pointee = SWIFTPG_ABI_VERSION
  }
}

@c @implementation
public func swiftpg_live_handles(_ kind: Int32, _ count_out: UnsafeMutablePointer<Int64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(count_out, "count_out")
    let env = envTable.liveCount
    let policy = policyTable.liveCount
    let algorithm = algorithmTable.liveCount
    let value = valueTable.liveCount
    let sequenceTask = sequenceTaskTable.liveCount
    let sequencePolicy = sequencePolicyTable.liveCount
    switch kind {
    case SWIFTPG_KIND_ALL: out.pointee = Int64(env + policy + algorithm + value + sequenceTask + sequencePolicy)
    case SWIFTPG_KIND_SEQ_TASK: out.pointee = Int64(sequenceTask)
    case SWIFTPG_KIND_SEQ_POLICY: out.pointee = Int64(sequencePolicy)
    case SWIFTPG_KIND_VALUE: out.pointee = Int64(value)
    case SWIFTPG_KIND_ENV: out.pointee = Int64(env)
    case SWIFTPG_KIND_POLICY: out.pointee = Int64(policy)
    case SWIFTPG_KIND_ALGORITHM: out.pointee = Int64(algorithm)
    default:
      throw .invalid("unknown handle kind \(kind); expected 0 (all), 1 (env), 2 (policy), 3 (algorithm), 4 (value),"
          + " 5 (sequence task) or 6 (sequence policy)")
    }
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
    case nil:
      throw SwiftPGError(.badHandle, handle == 0 ? "handle 0 is never valid" : "\(hex(handle)) is not a swiftpg handle")
    }
    if requested == 1 { flag?.request() } else { flag?.withdraw() }
  }
}
