import CMathShims
import CSwiftPG
import SwiftPG

/// Runs an entry point's body: returns SWIFTPG_OK, or records the error's
/// message as the thread's last error and returns its code.
@inline(__always)
func entry(_ body: () throws(SwiftPGError) -> Void) -> Int32 {
  do {
    try body()
    spg_clear_last_error()
    return StatusCode.ok.rawValue
  } catch {
    error.message.withCString { spg_set_last_error($0) }
    return error.code.rawValue
  }
}

/// Looks up `handle` in `table` and runs `body` with the object while
/// holding its busy flag.
@inline(__always)
func using<T>(
  _ table: HandleTable<T>, _ handle: UInt64, _ body: (T) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  let guarded = try table.get(handle)
  guard guarded.tryAcquire() else {
    throw SwiftPGError(.busy, "\(table.kind.name) handle \(hex(handle)) is in use by another thread")
  }
  defer { guarded.release() }
  try body(guarded.object)
}

/// An entry point that writes one required output from the object behind
/// `handle`: the output pointer is checked first, then `body` runs with
/// the object held.
@inline(__always)
func entry<T, O>(
  _ table: HandleTable<T>, _ handle: UInt64, output: UnsafeMutablePointer<O>?, _ name: String,
  _ body: (T, UnsafeMutablePointer<O>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(output, name)
    try using(table, handle) { (o) throws(SwiftPGError) in try body(o, out) }
  }
}

/// An entry point that writes two required outputs from the object behind
/// `handle`: both output pointers are checked first, in order, then `body`
/// runs with the object held.
@inline(__always)
func entry<T, A, B>(
  _ table: HandleTable<T>, _ handle: UInt64, outputs a: UnsafeMutablePointer<A>?, _ aName: String,
  _ b: UnsafeMutablePointer<B>?, _ bName: String,
  _ body: (T, UnsafeMutablePointer<A>, UnsafeMutablePointer<B>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let outA = try need(a, aName)
    let outB = try need(b, bName)
    try using(table, handle) { (o) throws(SwiftPGError) in try body(o, outA, outB) }
  }
}

/// What `learnerFileEntry` does with the file.
enum LearnerFileOperation { case save, load }

/// `swiftpg_pg_save`/`_load`, `swiftpg_search_save`/`_load`: reads the
/// path, then saves or loads the learner that `select` takes from the
/// algorithm handle while its environment and policy are held.
func learnerFileEntry(
  _ handle: UInt64, _ path: UnsafePointer<CChar>?, _ operation: LearnerFileOperation,
  _ select: (AlgorithmObject) throws(SwiftPGError) -> any Learner
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let p = try cString(path, "path", limit: 4096)
    try using(algorithmTable, handle) { (a) throws(SwiftPGError) in
      let l = try select(a)
      try a.exclusive { () throws(SwiftPGError) in
        switch operation {
        case .save: try l.save(to: p)
        case .load: try l.load(from: p)
        }
      }
    }
  }
}

/// A constructor entry point's work: checks the handle output pointer,
/// builds the object with `make`, and stores its new handle.
func register<T>(
  _ table: HandleTable<T>, _ out: UnsafeMutablePointer<UInt64>?, _ name: String,
  _ make: () throws(SwiftPGError) -> T
) throws(SwiftPGError) {
  let handleOut = try need(out, name)
  handleOut.pointee = try table.insert(try make())
}

/// Holds two guarded objects, acquired in this order (both or neither),
/// for the duration of `body`.
func using<A, B>(
  _ a: Guarded<A>, _ aName: String, _ b: Guarded<B>, _ bName: String,
  _ body: (A, B) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  try usingAll([(a.tryAcquire, a.release, aName), (b.tryAcquire, b.release, bName)]) { () throws(SwiftPGError) in
    try body(a.object, b.object)
  }
}

/// The action-space fields of `swiftpg_env_info` and `swiftpg_policy_info`:
/// the kind, the number of actions (0 for continuous actions) and the
/// number of scalars per action.
func actionFields(_ space: ActionSpace) -> (kind: Int32, count: Int32, size: Int32) {
  switch space {
  case .discrete(let n): (SWIFTPG_ACTION_DISCRETE, Int32(n), 1)
  case .box(let low, _): (SWIFTPG_ACTION_CONTINUOUS, 0, Int32(low.count))
  }
}

/// Checks that a caller's action buffer is aligned for the action space's
/// scalars (`Int32` or `Double`).
func requireActionAlignment(_ p: UnsafeRawPointer, _ space: ActionSpace, _ name: String) throws(SwiftPGError) {
  let alignment = if case .discrete = space { MemoryLayout<Int32>.alignment } else { MemoryLayout<Double>.alignment }
  try require(Int(bitPattern: p) % alignment == 0, "\(name) is not aligned to \(alignment) bytes")
}

/// Acquires several guarded objects (all or none) for the duration of `body`.
func usingAll(_ objects: [(acquire: () -> Bool, release: () -> Void, name: String)], _ body: () throws(SwiftPGError) -> Void)
  throws(SwiftPGError)
{
  var taken = 0
  defer { for i in 0..<taken { objects[i].release() } }
  for o in objects {
    guard o.acquire() else { throw SwiftPGError(.busy, "the \(o.name) is in use by another thread") }
    taken += 1
  }
  try body()
}

/// Unwraps a required pointer argument, checking its alignment.
@inline(__always)
func need<T>(_ p: UnsafePointer<T>?, _ name: String) throws(SwiftPGError) -> UnsafePointer<T> {
  guard let p else { throw SwiftPGError(.nullPointer, "\(name) is NULL") }
  guard Int(bitPattern: p) % MemoryLayout<T>.alignment == 0 else {
    throw .invalid("\(name) is not aligned to \(MemoryLayout<T>.alignment) bytes")
  }
  return p
}

@inline(__always)
/// An optional output: NULL stays nil; a present pointer is checked as by `need`.
func needIfPresent<T>(_ p: UnsafeMutablePointer<T>?, _ name: String) throws(SwiftPGError) -> UnsafeMutablePointer<T>? {
  guard let p else { return nil }
  return try need(p, name)
}

func need<T>(_ p: UnsafeMutablePointer<T>?, _ name: String) throws(SwiftPGError) -> UnsafeMutablePointer<T> {
  UnsafeMutablePointer(mutating: try need(UnsafePointer(p), name))
}

/// Reads a NUL-terminated UTF-8 string of at most `limit` bytes.
func cString(_ p: UnsafePointer<CChar>?, _ name: String, limit: Int = 256) throws(SwiftPGError) -> String {
  guard let p else { throw SwiftPGError(.nullPointer, "\(name) is NULL") }
  var n = 0
  while n < limit && p[n] != 0 { n += 1 }
  guard n < limit else { throw .invalid("\(name) is longer than \(limit - 1) bytes or not NUL-terminated") }
  let bytes = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
  guard let s = String(validating: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self) else {
    throw .invalid("\(name) is not valid UTF-8")
  }
  return s
}

/// An entry point that writes a text from the object behind `handle`:
/// checks `length_out`, then writes `text(object)` as `writeText` does.
func textEntry<T>(
  _ table: HandleTable<T>, _ handle: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?, _ text: (T) throws(SwiftPGError) -> String
) -> Int32 {
  entry { () throws(SwiftPGError) in
    _ = try need(length_out, "length_out")
    try using(table, handle) { (o) throws(SwiftPGError) in try writeText(try text(o), buffer, capacity, length_out) }
  }
}

/// `index` as an Int, refused with OUT_OF_RANGE unless 0 ≤ index < count.
func checkIndex(_ index: Int32, _ count: Int, _ name: String = "index") throws(SwiftPGError) -> Int {
  try require(index >= 0 && Int(index) < count, "\(name) must be in [0, \(count)), got \(index)", code: .outOfRange)
  return Int(index)
}

/// Checks a batch size from C: 0 ≤ batch ≤ 2^26 (and, if positive, that
/// `batch * width` does not overflow).
func checkBatch(_ batch: Int64, width: Int, _ name: String = "batch") throws(SwiftPGError) -> Int {
  try require(batch >= 0, "\(name) must be >= 0, got \(batch)")
  try require(batch <= 1 << 26, "\(name) \(batch) exceeds 2^26", code: .tooLarge)
  _ = try checkedProduct(Int(batch), width, name)
  return Int(batch)
}

/// Throws `.notFinite` naming the first non-finite value of `p[0..<count]`.
func requireFinite(_ p: UnsafePointer<Double>, _ count: Int, _ name: String, width: Int = 1) throws(SwiftPGError) {
  if spg_all_finite(p, count) != 0 { return }  // vectorised scan; the loop below names the culprit
  for i in 0..<count where !p[i].isFinite {
    let position = width > 1 ? "[\(i / width), \(i % width)]" : "[\(i)]"
    throw SwiftPGError(.notFinite, "\(name)\(position) is \(p[i]); values must be finite")
  }
}

/// Throws `.numerical` naming `what` unless `p[0..<count]` is all finite
/// (a result the library computed from finite inputs: parameters or log σ
/// so extreme that the arithmetic overflowed). The header documents that
/// the outputs of a call that fails with NUMERICAL are unspecified.
/// `allowing` names the one infinity that is a right answer (−∞ for the
/// log-probability of an impossible action, +∞ for a KL divergence to a
/// policy that gives an action probability 0); NaN never is.
func requireFiniteResult(_ p: UnsafePointer<Double>, _ count: Int, _ what: String, allowing: Double? = nil)
  throws(SwiftPGError)
{
  if count == 0 || spg_all_finite(p, count) != 0 { return }
  if let allowing, !(0..<count).contains(where: { p[$0].isNaN || (p[$0].isInfinite && p[$0] != allowing) }) {
    return
  }
  throw SwiftPGError(
    .numerical, "\(what) are not all finite: the parameters are too extreme for Double arithmetic")
}

/// An evaluation entry point's body: checks the optional `returns_out` and
/// `lengths_out`, then runs `body` with a writer that stores episode k's
/// return and length.
func evaluationEntry(
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?,
  _ body: (_ write: (Int, Double, Int) -> Void) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let returnsOut = try needIfPresent(returns_out, "returns_out")
    let lengthsOut = try needIfPresent(lengths_out, "lengths_out")
    try body { k, r, l in
      returnsOut?[k] = r
      lengthsOut?[k] = Int32(clamping: l)
    }
  }
}


/// An entry point without a handle that writes one required output: the
/// output pointer is checked first, then `body` runs.
@inline(__always)
func entry<O>(output: UnsafeMutablePointer<O>?, _ name: String, _ body: (UnsafeMutablePointer<O>) throws(SwiftPGError) -> Void)
  -> Int32
{
  entry { () throws(SwiftPGError) in try body(try need(output, name)) }
}

/// A `swiftpg_*_default_config` entry point: writes `make(size)`, the
/// defaults with `size` = sizeof the struct.
func defaultConfigEntry<C>(_ config_out: UnsafeMutablePointer<C>?, _ make: (UInt32) throws(SwiftPGError) -> C) -> Int32 {
  entry(output: config_out, "config_out") { (out) throws(SwiftPGError) in
    out.pointee = try make(UInt32(MemoryLayout<C>.size))
  }
}

/// Reads a C config struct whose first field is its `UInt32 size`: the
/// size alone is read and checked first, so a struct of another header
/// version (smaller or larger) is refused before any other byte is read.
func readConfig<C>(_ config: UnsafePointer<C>?, _ name: String = "\(C.self)") throws(SwiftPGError) -> C {
  let p = try need(config, "config")
  let size = UnsafeRawPointer(p).load(as: UInt32.self)
  let expected = MemoryLayout<C>.size
  try require(
    Int(size) == expected,
    "\(name).size is \(size), expected \(expected) (sizeof(\(name)) of this library's swiftpg.h, ABI "
      + "\(SWIFTPG_ABI_VERSION)); set it with the default_config function")
  return p.pointee
}

/// The body of the `*_episodes` entry points: checks the outputs, then
/// writes `episodes()` (read while the object is held by `hold`): count
/// always, BUFFER_TOO_SMALL before writing anything else when they do not
/// fit in `capacity`; success flags 1 / 0 / −1 (undefined) if asked for.
func writeEpisodes(
  returns returnsOut: UnsafeMutablePointer<Double>?, lengths lengthsOut: UnsafeMutablePointer<Int32>?,
  successes successesOut: UnsafeMutablePointer<Int8>? = nil, capacity: Int64,
  count countOut: UnsafeMutablePointer<Int64>?, _ episodes: () throws(SwiftPGError) -> [EpisodeRecord]
) throws(SwiftPGError) {
  let count = try need(countOut, "count_out")
  try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
  let r = try needIfPresent(returnsOut, "returns_out")
  let l = try needIfPresent(lengthsOut, "lengths_out")
  let s = try needIfPresent(successesOut, "successes_out")
  let list = try episodes()
  count.pointee = Int64(list.count)
  try require(
    Int64(list.count) <= capacity, "\(list.count) episodes do not fit in capacity \(capacity)", code: .bufferTooSmall)
  for (k, e) in list.enumerated() {
    r?[k] = e.episodeReturn
    l?[k] = Int32(clamping: e.length)
    s?[k] = e.success.map { $0 ? 1 : 0 } ?? -1
  }
}
