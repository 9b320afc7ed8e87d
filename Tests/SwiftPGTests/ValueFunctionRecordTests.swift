import Testing

@testable import SwiftPG

/// Value-function sections: MLP (with its precision) and tabular critics
/// round-trip; another architecture or a bad precision is refused.
@Suite struct ValueFunctionRecordTests {
  @Test func roundTripsAndRefusals() throws {
    let mlp = try ValueFunction(observationSize: 3, hidden: [4, 2], activation: .relu, seed: 2)
    try mlp.setPrecision(.float32)
    let table = try ValueFunction(tabularStates: 4)
    try table.setParameters([1, -2, 3.5, 0])
    for v in [mlp, table] {
      let r = ValueFunctionRecord.encode(v)
      let w = try ValueFunctionRecord.decode(RecordReader(r, context: "v"))
      #expect(ValueFunctionRecord.encode(w) == r)
      let obs = [0.1, 0.2, 0.3, 1, 0, 0, 0, 0]
      var a = [0.0, 0.0]
      var b = [0.0, 0.0]
      let x = v.kind == .tabular ? [0.0, 0, 1, 0, 1, 0, 0, 0] : obs.prefix(6).map { $0 }
      v.predict(x, batch: 2, into: &a)
      w.predict(x, batch: 2, into: &b)
      #expect(a == b)
    }
    var bad = ValueFunctionRecord.encode(table)
    bad.set("precision", .int(32))
    #expect(throws: SwiftPGError.self) { try ValueFunctionRecord.decode(RecordReader(bad, context: "v")) }
    let state = try ValueFunctionRecord.read(RecordReader(ValueFunctionRecord.encode(mlp), context: "v"))
    #expect(throws: SwiftPGError.self) { try ValueFunctionRecord.apply(state, to: table, context: "v") }
    #expect(table.parameters == [1, -2, 3.5, 0])
  }
}
