import Testing

@testable import SwiftPG

@Suite struct ArrayPointersTests {
  @Test func emptyArraysThrowInsteadOfTrapping() throws {
    let empty: [Double] = []
    #expect(throws: SwiftPGError.self) { try empty.withBase("rewards") { $0[0] } }
    var none: [Int32] = []
    #expect(throws: SwiftPGError.self) { try none.withMutableBase("tokens") { $0[0] = 1 } }
    var xs: [Int32] = [3, 4]
    try xs.withMutableBase("xs") { $0[1] = 7 }
    #expect(xs == [3, 7])
    #expect(try xs.withBase("xs") { $0[0] + $0[1] } == 10)
    do {
      _ = try empty.withBase("rewards") { $0[0] }
    } catch {
      #expect(error.code == .invalidArgument && error.message.contains("rewards"))
    }
  }
}
