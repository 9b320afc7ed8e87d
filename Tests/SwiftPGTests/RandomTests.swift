import Testing

@testable import SwiftPG

/// Golden values printed by numpy 2.4 (`SeedSequence(s).generate_state(4, np.uint64)`,
/// `PCG64(s).random_raw(3)`, `Generator(PCG64(7)).uniform(-0.05, 0.05)`).
@Suite struct RandomTests {
  @Test(arguments: [
    (UInt128(0), [0xdb2c_d7e7_b0f4_78be, 0xabf4_641a_2c71_ba49, 0x20c6_ed6d_9d7b_8d41, 0x2c40_99de_223c_39d4] as [UInt64],
     [0xa30f_ebcf_d9c2_825f, 0x4510_bdf8_82d9_d721, 0x0a7d_3da9_4ecd_e8b8] as [UInt64]),
    (UInt128(12345), [0xb5ae_6482_a03d_837c, 0xbbe2_996f_fa1f_7a2f, 0x64e3_9a9f_3715_8f94, 0x3ebb_0f96_a013_fd73],
     [0x3a32_b18d_b2ff_c19d, 0x5117_1315_c9e4_c4de, 0xcc20_2482_3444_efd9]),
    (UInt128(UInt64.max), [0xaebc_a151_928c_ad0d, 0x119c_3044_8638_dc7a, 0x1bbb_1556_59e6_42a7, 0xa76b_11e3_e8c4_a8f6],
     [0xae16_3a7a_8c47_568f, 0xd866_59f5_f338_2359, 0x01e5_2b19_5bc2_d24a]),
    (UInt128(UInt64.max) + 6, [0x3bc5_6ee7_d67e_b732, 0x784f_8ac1_3182_cbed, 0x377e_d8ac_eb24_eb98, 0x4e1c_de22_d5c0_d56f],
     [0xbe1e_d79d_e3d6_074e, 0x6419_7d17_923f_1721, 0xaf69_fcfe_db7a_76ba]),
  ])
  func matchesNumpy(seed: UInt128, state: [UInt64], raw: [UInt64]) {
    #expect(SeedSequence(seed).generateState64(4) == state)
    var g = PCG64(seed: seed)
    #expect([g.next(), g.next(), g.next()] == raw)
  }

  @Test func uniformMatchesNumpyGenerator() {
    var g = PCG64(seed: 7)
    #expect(g.uniform(-0.05, 0.05) == 0.012509546660466692)
    #expect(g.uniform(-0.05, 0.05) == 0.039721380096957554)
  }

  @Test func unitDoubleIsInHalfOpenInterval() {
    var g = SplitMix64(seed: 1)
    for _ in 0..<10_000 {
      let u = g.nextUnitDouble()
      #expect(u >= 0 && u < 1)
    }
  }

  /// Mean and variance of 200k standard normals within 5 standard errors.
  @Test func standardNormalMoments() {
    var g = PCG64(seed: 3)
    let n = 200_000
    var s = 0.0
    var s2 = 0.0
    for _ in 0..<n {
      let z = g.standardNormal()
      s += z
      s2 += z * z
    }
    let mean = s / Double(n)
    let variance = s2 / Double(n) - mean * mean
    #expect(abs(mean) < 5 / Double(n).squareRoot())
    #expect(abs(variance - 1) < 5 * (2.0 / Double(n)).squareRoot())
  }
}
