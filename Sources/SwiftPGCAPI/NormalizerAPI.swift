import CSwiftPG
import SwiftPG

// A learner's observation normaliser through the C ABI, so a trained
// policy can be used outside the learner (Python's `learner.predict` and
// exported policies apply the same transform).

@c @implementation
public func swiftpg_pg_observation_normalizer(
  _ learner: UInt64, _ enabled_out: UnsafeMutablePointer<Int32>?, _ mean_out: UnsafeMutablePointer<Double>?,
  _ variance_out: UnsafeMutablePointer<Double>?, _ size: Int64, _ count_out: UnsafeMutablePointer<Double>?,
  _ clip_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let enabledOut = try need(enabled_out, "enabled_out")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let core = try a.policyGradient().core
      guard let normalizer = core.observationNormalizer else {
        enabledOut.pointee = 0
        return
      }
      guard size == Int64(normalizer.width) else {
        throw .invalid("size is \(size) but the learner normalises \(normalizer.width) observation entries")
      }
      let meanOut = try need(mean_out, "mean_out")
      let varianceOut = try need(variance_out, "variance_out")
      let countOut = try need(count_out, "count_out")
      let clipOut = try need(clip_out, "clip_out")
      meanOut.update(from: normalizer.mean, count: normalizer.width)
      varianceOut.update(from: normalizer.variance, count: normalizer.width)
      countOut.pointee = normalizer.count
      clipOut.pointee = core.observationClip
      enabledOut.pointee = 1
    }
  }
}
