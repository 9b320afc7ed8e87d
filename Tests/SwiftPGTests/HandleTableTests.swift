import CSwiftPG
import Testing

@testable import SwiftPG
@testable import SwiftPGCAPI

@Suite struct HandleTableTests {
  final class Thing {}

  @Test func staleAndWrongKindHandlesAreRefused() throws {
    let table = HandleTable<Thing>(kind: .policy)
    let h = try table.insert(Thing())
    #expect(throws: Never.self) { try table.get(h) }
    try table.remove(h)
    #expect(throws: SwiftPGError.self) { try table.get(h) }
    #expect(throws: SwiftPGError.self) { try table.remove(h) }
    // The slot is reused with a new generation; the old handle stays dead.
    let h2 = try table.insert(Thing())
    #expect(h2 != h && (h2 & 0xF_FFFF) == (h & 0xF_FFFF))
    #expect(throws: SwiftPGError.self) { try table.get(h) }
    #expect(throws: SwiftPGError.self) { try table.get(0) }
    let envKind = (h2 & ~(UInt64(0xFF) << 56)) | (HandleKind.env.rawValue << 56)
    #expect(throws: SwiftPGError.self) { try table.get(envKind) }
    #expect(throws: SwiftPGError.self) { try table.get(0xDEAD_BEEF) }
    #expect(throws: SwiftPGError.self) { try table.get(UInt64.max) }
    #expect(table.liveCount == 1)
  }

  /// A slot whose generation would wrap is retired: no destroyed handle is
  /// ever valid again (issue 11, kind 7: 24-bit generations wrapped after
  /// 16 777 215 cycles and a stale handle reached a new object).
  @Test func slotsAreRetiredInsteadOfWrapping() throws {
    let table = HandleTable<Thing>(kind: .env, maxGeneration: 3)
    var seen = Set<UInt64>()
    for _ in 0..<10 {
      let h = try table.insert(Thing())
      #expect(seen.insert(h).inserted, "handle \(h) was issued twice")
      try table.remove(h)
    }
    #expect(table.retiredCount == 3)  // 3 generations per slot: slots 0, 1, 2 retired
    for h in seen { #expect(throws: SwiftPGError.self) { try table.get(h) } }
    #expect(table.liveCount == 0)
    // The default table has 36-bit generations.
    let wide = HandleTable<Thing>(kind: .env)
    #expect(wide.maxGeneration == (1 << 36) - 1)
    let h = try wide.insert(Thing())
    #expect((h >> 20) & 0xF_FFFF_FFFF == 1 && h >> 56 == HandleKind.env.rawValue)
  }

  /// Concurrent inserts and removes from several threads keep the count right.
  @Test func concurrentUse() async throws {
    let table = HandleTable<Thing>(kind: .env)
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<8 {
        group.addTask {
          for _ in 0..<2000 {
            guard let h = try? table.insert(Thing()) else { continue }
            _ = try? table.get(h)
            try? table.remove(h)
          }
        }
      }
    }
    #expect(table.liveCount == 0)
  }

  @Test func baselineCodesMatchTheHeader() {
    #expect(BaselineKind.none.rawValue == SWIFTPG_BASELINE_NONE)
    #expect(BaselineKind.mean.rawValue == SWIFTPG_BASELINE_MEAN)
  }

  /// The C entry points report errors through status and last error.
  @Test func entryPointsReportErrors() {
    var h: UInt64 = 0
    #expect(swiftpg_env_create("NoSuchEnv-v9", 1, 0, &h) == SWIFTPG_ERR_UNKNOWN_ID)
    #expect(String(cString: swiftpg_last_error()).contains("NoSuchEnv-v9"))
    #expect(swiftpg_env_create("CartPole-v1", 0, 0, &h) == SWIFTPG_ERR_INVALID_ARGUMENT)
    #expect(swiftpg_env_create(nil, 1, 0, &h) == SWIFTPG_ERR_NULL_POINTER)
    #expect(swiftpg_env_create("CartPole-v1", 2, 0, &h) == SWIFTPG_OK)
    #expect(String(cString: swiftpg_last_error()) == "")
    var actions: [Int32] = [0, 7]
    var obs = [Double](repeating: 0, count: 8)
    var rew = [0.0, 0.0]
    var term: [UInt8] = [0, 0]
    var trunc: [UInt8] = [0, 0]
    #expect(swiftpg_env_step(h, &actions, &obs, &rew, &term, &trunc, nil, nil) == SWIFTPG_ERR_OUT_OF_RANGE)
    actions = [0, 1]
    #expect(swiftpg_env_step(h, &actions, &obs, &rew, &term, &trunc, nil, nil) == SWIFTPG_OK)
    #expect(swiftpg_env_destroy(h) == SWIFTPG_OK)
    #expect(swiftpg_env_step(h, &actions, &obs, &rew, &term, &trunc, nil, nil) == SWIFTPG_ERR_BAD_HANDLE)
    #expect(swiftpg_env_destroy(h) == SWIFTPG_ERR_BAD_HANDLE)
  }
}
