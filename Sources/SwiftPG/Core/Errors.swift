/// The status codes of the C ABI, mirrored in Swift.
///
/// The raw values equal the `SWIFTPG_*` macros of `Include/swiftpg.h`;
/// a test compares them.
public enum StatusCode: Int32, Sendable {
  case ok = 0
  case invalidArgument = -1
  case nullPointer = -2
  case badHandle = -3
  case outOfRange = -4
  case unknownID = -5
  case tooLarge = -6
  case busy = -7
  case notFinite = -8
  case bufferTooSmall = -9
  case numerical = -10
  case io = -11
  case badFormat = -12
  case internalError = -99
}

/// An error of the library: a status code and a message naming the
/// argument, its value and what was expected.
public struct SwiftPGError: Error, Sendable, CustomStringConvertible {
  public var code: StatusCode
  public var message: String

  public init(_ code: StatusCode, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }

  public static func invalid(_ message: String) -> SwiftPGError {
    SwiftPGError(.invalidArgument, message)
  }
}

/// Checks `condition`, throwing an invalid-argument error with `message`.
@inlinable
public func require(
  _ condition: Bool, _ message: @autoclosure () -> String,
  code: StatusCode = .invalidArgument
) throws(SwiftPGError) {
  if !condition { throw SwiftPGError(code, message()) }
}

/// `a * b` for sizes, throwing `.tooLarge` instead of trapping on overflow.
@inlinable
public func checkedProduct(_ a: Int, _ b: Int, _ what: @autoclosure () -> String)
  throws(SwiftPGError) -> Int
{
  let (p, overflow) = a.multipliedReportingOverflow(by: b)
  if overflow || a < 0 || b < 0 {
    throw SwiftPGError(.tooLarge, "\(what()): \(a) × \(b) overflows")
  }
  return p
}
