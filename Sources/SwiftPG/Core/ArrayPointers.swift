/// The base address of an array's elements without a force unwrap: an
/// empty array has none, so these throw `.invalidArgument` naming `what`
/// instead of trapping (callers usually refuse empty input earlier; this is
/// the guarantee that a missed case becomes an error, not a crash).
extension Array {
  public func withBase<R>(_ what: @autoclosure () -> String, _ body: (UnsafePointer<Element>) throws(SwiftPGError) -> R)
    throws(SwiftPGError) -> R
  {
    try withUnsafeBufferPointer { (b) throws(SwiftPGError) -> R in
      guard let p = b.baseAddress, !b.isEmpty else { throw SwiftPGError.invalid("\(what()) is empty") }
      return try body(p)
    }
  }

  public mutating func withMutableBase<R>(
    _ what: @autoclosure () -> String, _ body: (UnsafeMutablePointer<Element>) throws(SwiftPGError) -> R
  ) throws(SwiftPGError) -> R {
    try withUnsafeMutableBufferPointer { (b) throws(SwiftPGError) -> R in
      guard let p = b.baseAddress, !b.isEmpty else { throw SwiftPGError.invalid("\(what()) is empty") }
      return try body(p)
    }
  }
}
