import CSwiftPG
import Testing

@testable import SwiftPG

/// Status codes, errors, cancellation and the size checks done before
/// allocating.
@Suite struct ErrorsTests {
  @Test func statusCodesMatchTheHeader() {
    let pairs: [(StatusCode, Int32)] = [
      (.ok, SWIFTPG_OK), (.invalidArgument, SWIFTPG_ERR_INVALID_ARGUMENT), (.nullPointer, SWIFTPG_ERR_NULL_POINTER),
      (.badHandle, SWIFTPG_ERR_BAD_HANDLE), (.outOfRange, SWIFTPG_ERR_OUT_OF_RANGE),
      (.unknownID, SWIFTPG_ERR_UNKNOWN_ID), (.tooLarge, SWIFTPG_ERR_TOO_LARGE), (.busy, SWIFTPG_ERR_BUSY),
      (.notFinite, SWIFTPG_ERR_NOT_FINITE), (.bufferTooSmall, SWIFTPG_ERR_BUFFER_TOO_SMALL),
      (.numerical, SWIFTPG_ERR_NUMERICAL), (.io, SWIFTPG_ERR_IO), (.badFormat, SWIFTPG_ERR_BAD_FORMAT),
      (.cancelled, SWIFTPG_ERR_CANCELLED), (.internalError, SWIFTPG_ERR_INTERNAL),
    ]
    for (code, macro) in pairs { #expect(code.rawValue == macro, "\(code)") }
  }

  @Test func errorsCarryTheirCodeAndMessage() {
    let e = SwiftPGError.invalid("bad x")
    #expect(e.code == .invalidArgument && e.message == "bad x" && e.description == "bad x")
    do throws(SwiftPGError) {
      try require(false, "too big", code: .tooLarge)
      Issue.record("require(false) did not throw")
    } catch {
      #expect(error.code == .tooLarge && error.message == "too big")
    }
    var built = false
    #expect(throws: Never.self) {
      try require(true, { built = true; return "never built" }())
    }
    #expect(!built)
  }

  @Test func cancellationIsConsumedOnce() {
    let flag = CancellationFlag()
    #expect(throws: Never.self) { try flag.check("work") }
    flag.request()
    #expect(flag.isRequested)
    #expect(throws: SwiftPGError.self) { try flag.check("work") }
    #expect(throws: Never.self) { try flag.check("work") }
    flag.request()
    flag.withdraw()
    #expect(throws: Never.self) { try flag.check("work") }
  }

  func code(_ body: () throws(SwiftPGError) -> Int) -> StatusCode? {
    do throws(SwiftPGError) {
      _ = try body()
      return nil
    } catch {
      return error.code
    }
  }

  /// Products of sizes: overflow and negative factors are TOO_LARGE (or
  /// invalid), never a trap.
  @Test func sizeProducts() throws {
    #expect(try checkedProduct(1 << 20, 1 << 20, "n") == 1 << 40)
    #expect(code { () throws(SwiftPGError) in try checkedProduct(Int.max / 2, 3, "n") } == .tooLarge)
    #expect(code { () throws(SwiftPGError) in try checkedProduct(-1, 3, "n") } == .tooLarge)
    #expect(try Limits.product([3, 4, 5], limit: 60, "n") == 60)
    #expect(code { () throws(SwiftPGError) in try Limits.product([3, 4, 5], limit: 59, "n") } == .tooLarge)
    #expect(code { () throws(SwiftPGError) in try Limits.product([1 << 40, 1 << 40], limit: .max, "n") } == .tooLarge)
    #expect(code { () throws(SwiftPGError) in try Limits.product([2, -1], limit: 10, "n") } == .invalidArgument)
    #expect(try Limits.product([], limit: 1, "n") == 1)
  }
}
