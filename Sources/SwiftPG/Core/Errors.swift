import Synchronization

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
  case cancelled = -13
  case notSupported = -14
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

/// A request to stop a long native call (evaluation, episode collection,
/// a training iteration, a search generation) between two chunks of work.
/// Set from any thread; the loop that sees it throws `.cancelled` and
/// clears it, so a request is consumed by exactly one call.
public final class CancellationFlag: Sendable {
  private let requested = Atomic<Bool>(false)
  public init() {}
  public func request() { requested.store(true, ordering: .releasing) }
  public func withdraw() { requested.store(false, ordering: .releasing) }
  public var isRequested: Bool { requested.load(ordering: .acquiring) }

  /// Throws `.cancelled` (and clears the request) if one is pending.
  @inline(__always)
  public func check(_ what: @autoclosure () -> String) throws(SwiftPGError) {
    if requested.load(ordering: .relaxed) {
      withdraw()
      throw SwiftPGError(.cancelled, "\(what()) was cancelled")
    }
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

/// Sizes above which swiftpg refuses work with `SWIFTPG_ERR_TOO_LARGE`
/// before allocating anything (issue 11: an allocation sized by input or
/// by a file is bounded first, so a bad size is an error, never an abort).
public enum Limits {
  /// Most parameters of one network or policy (2^24 ≈ 16.8 M; 128 MiB of Double).
  public static let maxParameters = 1 << 24
  /// Most Double elements of scratch memory one object or call may allocate
  /// from its sizes (2^28; 2 GiB).
  public static let maxScratchElements = 1 << 28
  /// Most members of a search population.
  public static let maxPopulation = 1 << 20

  /// The product of `factors`, refused when it overflows or exceeds `limit`.
  public static func product(_ factors: [Int], limit: Int, _ what: @autoclosure () -> String) throws(SwiftPGError)
    -> Int
  {
    var total = 1
    for f in factors {
      try require(f >= 0, "\(what()): negative size \(f)")
      let (p, overflow) = total.multipliedReportingOverflow(by: f)
      guard !overflow, p <= limit else {
        throw SwiftPGError(
          .tooLarge, "\(what()): \(factors.map(String.init).joined(separator: " × ")) exceeds the limit \(limit)")
      }
      total = p
    }
    return total
  }
}
