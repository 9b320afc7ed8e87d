import CSwiftPG
import SwiftPG

@c @implementation
public func swiftpg_exact_solve(
  _ env: UInt64, _ policy: UInt64, _ state_observations: UnsafePointer<Double>?,
  _ objective_out: UnsafeMutablePointer<Double>?, _ values_out: UnsafeMutablePointer<Double>?,
  _ action_values_out: UnsafeMutablePointer<Double>?, _ advantages_out: UnsafeMutablePointer<Double>?,
  _ visitation_out: UnsafeMutablePointer<Double>?, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(try envTable.get(env), "environment", try policyTable.get(policy), "policy") {
      (envObject, policyObject) throws(SwiftPGError) in
      let e = envObject.env
      let p = policyObject.policy
      guard let model = e.tabularModel else { throw .invalid("\(e.id) is not a tabular environment") }
      let s = model.stateCount
      let width = p.observationSize
      var observations: [Double]
      if let given = state_observations {
        let rows = try need(given, "state_observations")
        observations = Array(UnsafeBufferPointer(start: rows, count: try checkedProduct(s, width, "S × observation size")))
      } else {
        guard e.observationKind == .oneHot, width == s else {
          throw .invalid(
            "\(e.id) has no one-hot observations of its \(s) states the policy could read; pass state_observations")
        }
        observations = [Double](repeating: 0, count: s * s)
        for k in 0..<s { observations[k * s + k] = 1 }
      }
      let solution = try ExactPolicyGradient.solve(model: model, policy: p, observations: observations)
      objective_out?.pointee = solution.objective
      func copy(_ values: [Double], _ out: UnsafeMutablePointer<Double>?) {
        guard let out else { return }
        for (i, v) in values.enumerated() { out[i] = v }
      }
      copy(solution.values, values_out)
      copy(solution.actionValues, action_values_out)
      copy(solution.advantages, advantages_out)
      copy(solution.visitation, visitation_out)
      copy(solution.gradient, gradient_out)
    }
  }
}
