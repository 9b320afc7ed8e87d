/// An object whose learnable state is one flat parameter vector θ and that
/// its family's code and `specification` rebuild (checkpoints, copies):
/// policies, logit and sequence models, sequence policies, value functions
/// and reward models.
public protocol Parameterized: AnyObject {
  var parameterCount: Int { get }
  var parameters: [Double] { get }
  /// Replaces θ (`parameterCount` values; the count is checked).
  func setParameters(_ values: [Double]) throws(SwiftPGError)
  /// The numbers that, with the family, rebuild the object.
  var specification: [Double] { get }
}
