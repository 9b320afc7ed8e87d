import CSwiftPG
import SwiftPG

// Bundles (Sources/SwiftPG/Core/Serialization.swift) through the C ABI:
// learners opened from files or bytes with every object they use, and the
// in-memory forms of learners, policies, value functions and environments.

/// The largest bundle accepted from memory (as from a file).
private let maxBundleBytes: Int64 = 1 << 31

/// Copies `size` caller bytes (NULL allowed only when size is 0).
private func readBytes(_ p: UnsafePointer<UInt8>?, _ size: Int64) throws(SwiftPGError) -> [UInt8] {
  try require(size >= 0, "size must be >= 0, got \(size)")
  try require(size <= maxBundleBytes, "size \(size) exceeds 2^31 bytes", code: .tooLarge)
  if size == 0 { return [] }
  let base = try need(p, "bytes")
  return Array(UnsafeBufferPointer(start: base, count: Int(size)))
}

/// Writes `make()`'s bytes to a caller buffer, or fails with
/// BUFFER_TOO_SMALL; `size_out` always receives the size.
private func writeBytes(
  _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64, _ size_out: UnsafeMutablePointer<Int64>?,
  _ make: () throws(SwiftPGError) -> [UInt8]
) throws(SwiftPGError) {
  let sizeOut = try need(size_out, "size_out")
  try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
  let out = capacity > 0 ? try need(buffer, "buffer") : nil
  let bytes = try make()
  sizeOut.pointee = Int64(bytes.count)
  guard Int64(bytes.count) <= capacity, let out else {
    throw SwiftPGError(.bufferTooSmall, "the bundle needs \(bytes.count) bytes, capacity is \(capacity)")
  }
  bytes.withUnsafeBufferPointer { b in
    if let base = b.baseAddress { out.update(from: base, count: b.count) }
  }
}

/// A serialize entry point: writes the bytes `encode` makes of the object
/// behind `handle` (held meanwhile) to the caller's buffer.
func serializeEntry<T>(
  _ table: HandleTable<T>, _ handle: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64,
  _ size_out: UnsafeMutablePointer<Int64>?, _ encode: (T) throws(SwiftPGError) -> [UInt8]
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(table, handle) { (o) throws(SwiftPGError) in
      try writeBytes(buffer, capacity, size_out) { () throws(SwiftPGError) in try encode(o) }
    }
  }
}

/// A deserialize entry point: checks the handle output `out` (named
/// `name`), decodes the caller's bytes with `decode` and registers the object.
func deserializeEntry<T>(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ table: HandleTable<T>, _ out: UnsafeMutablePointer<UInt64>?,
  _ name: String, _ decode: ([UInt8]) throws(SwiftPGError) -> T
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try register(table, out, name) { () throws(SwiftPGError) in try decode(try readBytes(bytes, size)) }
  }
}

/// Inserts a learner and the objects it uses into the handle tables
/// (all or none) and writes their handles.
private func insertLearner(
  _ learner: any PolicyGradientLearner, _ learner_out: UnsafeMutablePointer<UInt64>,
  _ env_out: UnsafeMutablePointer<UInt64>, _ policy_out: UnsafeMutablePointer<UInt64>,
  _ value_out: UnsafeMutablePointer<UInt64>
) throws(SwiftPGError) {
  var inserted: [() -> Void] = []
  do throws(SwiftPGError) {
    var envHandle: UInt64 = 0
    var envBox: Guarded<EnvObject>?
    if let env = learner.env {
      envHandle = try envTable.insert(EnvObject(env))
      inserted.append { _ = try? envTable.remove(envHandle) }
      envBox = try envTable.get(envHandle)
    }
    let policyHandle = try policyTable.insert(PolicyObject(learner.policy))
    inserted.append { _ = try? policyTable.remove(policyHandle) }
    let policyBox = try policyTable.get(policyHandle)
    var valueHandle: UInt64 = 0
    var valueBox: Guarded<ValueObject>?
    if let critic = learner.critic {
      valueHandle = try valueTable.insert(ValueObject(critic))
      inserted.append { _ = try? valueTable.remove(valueHandle) }
      valueBox = try valueTable.get(valueHandle)
    }
    let handle = try algorithmTable.insert(
      AlgorithmObject(.policyGradient(learner), env: envBox, policy: policyBox, value: valueBox))
    learner_out.pointee = handle
    env_out.pointee = envHandle
    policy_out.pointee = policyHandle
    value_out.pointee = valueHandle
  } catch {
    for undo in inserted.reversed() { undo() }
    throw error
  }
}

@c @implementation
public func swiftpg_pg_open(
  _ path: UnsafePointer<CChar>?, _ learner_out: UnsafeMutablePointer<UInt64>?,
  _ env_out: UnsafeMutablePointer<UInt64>?, _ policy_out: UnsafeMutablePointer<UInt64>?,
  _ value_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    let outs = (
      try need(learner_out, "learner_out"), try need(env_out, "env_out"), try need(policy_out, "policy_out"),
      try need(value_out, "value_out")
    )
    try insertLearner(try LearnerBundle.open(file), outs.0, outs.1, outs.2, outs.3)
  }
}

@c @implementation
public func swiftpg_pg_serialize(
  _ learner: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64,
  _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in
        try writeBytes(buffer, capacity, size_out) { () throws(SwiftPGError) in try l.bundle().encode() }
      }
    }
  }
}

@c @implementation
public func swiftpg_pg_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ learner_out: UnsafeMutablePointer<UInt64>?,
  _ env_out: UnsafeMutablePointer<UInt64>?, _ policy_out: UnsafeMutablePointer<UInt64>?,
  _ value_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let outs = (
      try need(learner_out, "learner_out"), try need(env_out, "env_out"), try need(policy_out, "policy_out"),
      try need(value_out, "value_out")
    )
    let data = try readBytes(bytes, size)
    try insertLearner(try LearnerBundle.learner(from: data), outs.0, outs.1, outs.2, outs.3)
  }
}

/// Writes `l`'s configuration as its C struct at `p` after checking the
/// struct's `size` field.
private func writeConfig<L: CConfigurable>(_ l: L, _ p: UnsafeMutableRawPointer) throws(SwiftPGError) {
  let size = p.load(as: UInt32.self)
  let expected = MemoryLayout<L.CConfig>.size
  try require(
    Int(size) == expected,
    "config_out's size field is \(size); a \(L.algorithm.name) learner's config is \(L.cName) of \(expected) bytes "
      + "(set size first, e.g. with \(L.cName.replacingSuffix("_config", "_default_config")))")
  p.assumingMemoryBound(to: L.CConfig.self).pointee = L.write(l.config)
}

extension String {
  fileprivate func replacingSuffix(_ suffix: String, _ with: String) -> String {
    hasSuffix(suffix) ? String(dropLast(suffix.count)) + with : self
  }
}

@c @implementation
public func swiftpg_pg_get_config(_ learner: UInt64, _ config_out: UnsafeMutableRawPointer?) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let out = config_out else { throw SwiftPGError(.nullPointer, "config_out is NULL") }
    try require(Int(bitPattern: out) % 8 == 0, "config_out is not aligned to 8 bytes")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      guard let c = l as? any CConfigurable else { throw .invalid("this learner has no C config struct") }
      try writeConfig(c, out)
    }
  }
}

@c @implementation
public func swiftpg_pg_counters(
  _ learner: UInt64, _ iteration_out: UnsafeMutablePointer<Int64>?, _ total_env_steps_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  countersEntry(learner, iteration_out, total_env_steps_out) { (a) throws(SwiftPGError) in try a.policyGradient() }
}

@c @implementation
public func swiftpg_search_counters(
  _ algorithm: UInt64, _ iteration_out: UnsafeMutablePointer<Int64>?,
  _ total_env_steps_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  countersEntry(algorithm, iteration_out, total_env_steps_out) { (a) throws(SwiftPGError) in try a.search() }
}

/// `swiftpg_pg_counters` / `swiftpg_search_counters`: the iteration and
/// env-step counters of the learner that `select` takes from the handle.
private func countersEntry(
  _ handle: UInt64, _ iteration_out: UnsafeMutablePointer<Int64>?,
  _ total_env_steps_out: UnsafeMutablePointer<Int64>?,
  _ select: (AlgorithmObject) throws(SwiftPGError) -> any Learner
) -> Int32 {
  entry(algorithmTable, handle, outputs: iteration_out, "iteration_out", total_env_steps_out, "total_env_steps_out") {
    (a, iterationOut, stepsOut) throws(SwiftPGError) in
    let l = try select(a)
    iterationOut.pointee = Int64(l.iteration)
    stepsOut.pointee = Int64(l.totalEnvSteps)
  }
}

// MARK: Policies, value functions, environments

@c @implementation
public func swiftpg_policy_serialize(
  _ policy: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64, _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(policyTable, policy, buffer, capacity, size_out) { (o) in PolicyRecord.serialize(o.policy) }
}

@c @implementation
public func swiftpg_policy_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, policyTable, policy_out, "policy_out") { (data) throws(SwiftPGError) in
    PolicyObject(try PolicyRecord.deserialize(data))
  }
}

@c @implementation
public func swiftpg_value_serialize(
  _ value: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64, _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(valueTable, value, buffer, capacity, size_out) { (o) in ValueFunctionRecord.serialize(o.value) }
}

@c @implementation
public func swiftpg_value_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ value_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, valueTable, value_out, "value_out") { (data) throws(SwiftPGError) in
    ValueObject(try ValueFunctionRecord.deserialize(data))
  }
}

@c @implementation
public func swiftpg_env_serialize(
  _ env: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int64, _ size_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  serializeEntry(envTable, env, buffer, capacity, size_out) { (o) throws(SwiftPGError) in
    try EnvironmentRecord.serialize(o.env)
  }
}

@c @implementation
public func swiftpg_env_deserialize(
  _ bytes: UnsafePointer<UInt8>?, _ size: Int64, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  deserializeEntry(bytes, size, envTable, env_out, "env_out") { (data) throws(SwiftPGError) in
    EnvObject(try EnvironmentRecord.deserialize(data))
  }
}

@c @implementation
public func swiftpg_env_get_id(
  _ env: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in try writeText(o.env.id, buffer, capacity, length_out) }
  }
}

@c @implementation
public func swiftpg_env_spawn(
  _ env: UInt64, _ num_envs: Int32, _ seed: UInt64, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(env_out, "env_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      out.pointee = try envTable.insert(EnvObject(try o.env.spawn(count: Int(num_envs), seed: seed)))
    }
  }
}

@c @implementation
public func swiftpg_policy_get_precision(_ policy: UInt64, _ bits_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(policyTable, policy, output: bits_out, "bits_out") { (o, out) throws(SwiftPGError) in
    out.pointee = o.policy.mlp?.precision.rawValue ?? 64
  }
}

@c @implementation
public func swiftpg_value_get_precision(_ value: UInt64, _ bits_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(valueTable, value, output: bits_out, "bits_out") { (o, out) throws(SwiftPGError) in
    out.pointee = o.value.precision.rawValue
  }
}
