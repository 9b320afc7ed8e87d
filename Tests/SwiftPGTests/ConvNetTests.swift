import Testing

@testable import SwiftPG

/// Policies/ConvNet.swift: the forward pass against a direct convolution
/// written with plain loops, the gradient against central finite
/// differences, float32 against float64, the specification, bad sizes.
@Suite struct ConvNetTests {
  /// A 2-plane 3 × 4 board, two convolution layers (3 then 2 channels) and
  /// 5 outputs, with random weights and biases (biases nonzero, so a wrong
  /// bias layout shows).
  static func network(kernelSize: Int = 3, seed: UInt64 = 1) throws -> ConvNet {
    let net = try ConvNet(planes: 2, height: 3, width: 4, channels: [3, 2], kernelSize: kernelSize, outputSize: 5)
    var g = SplitMix64(seed: seed)
    try net.setParameters((0..<net.parameterCount).map { _ in 0.5 * g.standardNormal() })
    return net
  }

  /// The network by definition: y[o, y, x] = relu(b[o] + Σ_{c,ky,kx}
  /// W[o, ky, kx, c] · in[c, y+ky−p, x+kx−p]) (zero outside), feature maps
  /// [c, H, W]; the output layer reads the last map in [H, W, c] order.
  static func direct(_ net: ConvNet, _ x: [Double], batch: Int) -> [Double] {
    let (h, w, k) = (net.height, net.width, net.kernelSize)
    let p = net.parameters
    var out: [Double] = []
    for n in 0..<batch {
      var map = Array(x[(n * net.inputSize)..<((n + 1) * net.inputSize)])  // [c, H, W]
      var cIn = net.planes
      for (l, cOut) in net.channels.enumerated() {
        var next = [Double](repeating: 0, count: cOut * h * w)
        let base = net.offsets[l]
        for o in 0..<cOut {
          for y in 0..<h {
            for xx in 0..<w {
              var s = p[base + cOut * k * k * cIn + o]
              for ky in 0..<k {
                for kx in 0..<k {
                  let (sy, sx) = (y + ky - k / 2, xx + kx - k / 2)
                  guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                  for c in 0..<cIn {
                    s += p[base + ((o * k + ky) * k + kx) * cIn + c] * map[(c * h + sy) * w + sx]
                  }
                }
              }
              next[(o * h + y) * w + xx] = max(s, 0)
            }
          }
        }
        map = next
        cIn = cOut
      }
      let base = net.offsets[net.channels.count]
      let flat = h * w * cIn
      for o in 0..<net.outputSize {
        var s = p[base + net.outputSize * flat + o]
        for cell in 0..<(h * w) {
          for c in 0..<cIn { s += p[base + o * flat + cell * cIn + c] * map[c * h * w + cell] }
        }
        out.append(s)
      }
    }
    return out
  }

  @Test(arguments: [1, 3, 5])
  func forwardEqualsTheDirectConvolution(kernelSize: Int) throws {
    let net = try Self.network(kernelSize: kernelSize)
    var g = SplitMix64(seed: 2)
    let x = (0..<(3 * net.inputSize)).map { _ in g.standardNormal() }
    let y = Array(UnsafeBufferPointer(start: net.forward(x, batch: 3), count: 3 * net.outputSize))
    let expected = Self.direct(net, x, batch: 3)
    // Both sum the same ~100 products of O(1) terms in different orders:
    // rounding differences of ~1e-15 each.
    for (a, b) in zip(y, expected) { #expect(abs(a - b) < 1e-12) }
  }

  /// L = Σ c ⊙ outputs for random c; ∂L/∂θ from `backward` against central
  /// differences with h = 1e-6 for every parameter. Truncation error is
  /// O(h²) ≈ 1e-12 and rounding O(1e-16 · |L| / h) ≈ 1e-9; a ReLU kink
  /// within h of a pre-activation is unlikely with this seed (and would
  /// show as an O(1) error, not a small one), so 1e-6 · (1 + |g|) is loose
  /// enough for the method and tight enough for any wrong term.
  @Test func gradientMatchesFiniteDifferences() throws {
    let net = try Self.network()
    var g = SplitMix64(seed: 3)
    let batch = 3
    let x = (0..<(batch * net.inputSize)).map { _ in g.standardNormal() }
    let c = (0..<(batch * net.outputSize)).map { _ in g.standardNormal() }
    func loss(_ theta: [Double]) throws -> Double {
      try net.setParameters(theta)
      let y = net.forward(x, batch: batch)
      return (0..<c.count).reduce(0) { $0 + c[$1] * y[$1] }
    }
    let theta = net.parameters
    _ = try loss(theta)
    var grad = [Double](repeating: 0, count: net.parameterCount)
    net.backward(c, into: &grad)
    let h = 1e-6
    for i in 0..<theta.count {
      var plus = theta
      var minus = theta
      plus[i] += h
      minus[i] -= h
      let fd = (try loss(plus) - loss(minus)) / (2 * h)
      #expect(abs(grad[i] - fd) < 1e-6 * (1 + abs(fd)), "parameter \(i): \(grad[i]) vs \(fd)")
    }
  }

  /// float32 passes agree with float64 to float rounding (relative ~1e-6 of
  /// sums of ~100 terms: 1e-4 absolute on O(1) values); switching back
  /// gives the float64 results exactly.
  @Test func float32AgreesWithFloat64() throws {
    let net = try Self.network()
    var g = SplitMix64(seed: 4)
    let x = (0..<(4 * net.inputSize)).map { _ in g.standardNormal() }
    let c = (0..<(4 * net.outputSize)).map { _ in g.standardNormal() }
    let y64 = Array(UnsafeBufferPointer(start: net.forward(x, batch: 4), count: 4 * net.outputSize))
    var g64 = [Double](repeating: 0, count: net.parameterCount)
    net.backward(c, into: &g64)
    net.setPrecision(.float32)
    let y32 = Array(UnsafeBufferPointer(start: net.forward(x, batch: 4), count: 4 * net.outputSize))
    var g32 = [Double](repeating: 0, count: net.parameterCount)
    net.backward(c, into: &g32)
    for (a, b) in zip(y64, y32) { #expect(abs(a - b) < 1e-4) }
    for (a, b) in zip(g64, g32) { #expect(abs(a - b) < 1e-4 * (1 + abs(a))) }
    #expect(y64 != y32)  // really float arithmetic
    net.setPrecision(.float64)
    #expect(Array(UnsafeBufferPointer(start: net.forward(x, batch: 4), count: 4 * net.outputSize)) == y64)
  }

  @Test func specificationRebuildsTheNetwork() throws {
    let net = try Self.network()
    #expect(net.specification == [2, 3, 4, 3, 2, 3, 2, 5])
    let copy = try ConvNet(specification: net.specification)
    #expect(copy.parameterCount == net.parameterCount && copy.offsets == net.offsets)
    let trunk = try makeBoardTrunk(family: .conv, specification: net.trunkSpecification)
    #expect(trunk.family == .conv && trunk.parameterCount == net.parameterCount)
  }

  @Test func badSizesAreRefused() throws {
    #expect(throws: SwiftPGError.self) { try ConvNet(planes: 2, height: 3, width: 3, channels: [4], kernelSize: 2, outputSize: 9) }
    #expect(throws: SwiftPGError.self) { try ConvNet(planes: 2, height: 3, width: 3, channels: [], outputSize: 9) }
    #expect(throws: SwiftPGError.self) { try ConvNet(planes: 2, height: 3, width: 3, channels: [0], outputSize: 9) }
    #expect(throws: SwiftPGError.self) { try ConvNet(planes: 0, height: 3, width: 3, channels: [4], outputSize: 9) }
    #expect(throws: SwiftPGError.self) { try ConvNet(specification: [2, 3, 3, 3, 2, 4, 9]) }  // says 2 layers, has 1
    #expect(throws: SwiftPGError.self) { try ConvNet(specification: [2, 3, 3, 3, 1, 4.5, 9]) }
    #expect(throws: SwiftPGError.self) { try ConvNet(specification: [2, 3, .nan, 3, 1, 4, 9]) }
    let net = try Self.network()
    #expect(throws: SwiftPGError.self) { try net.setParameters([1, 2]) }
    _ = net.forward([], batch: 0)  // an empty batch: nothing to do, no crash
    var grad = [Double](repeating: 0, count: net.parameterCount)
    net.backward([], into: &grad)
    #expect(grad.allSatisfy { $0 == 0 })
  }
}
