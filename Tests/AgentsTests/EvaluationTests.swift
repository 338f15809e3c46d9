import XCTest
import Foundation
import TestSupport
import Agents

final class EvaluationTests: XCTestCase {
    func challenge() throws -> SizingSpec {
        try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025.toml").path)
    }

    /// The anchor's published worst-corner figures: FoM 40.31·2/(74.94·1.8/1000) ≈ 598.
    func testWorstCornerMarginsAndFoM() throws {
        let spec = try challenge()
        let e = Evaluation(perCorner: [
            .tt: [.gainDB: 80, .gbwMHz: 45, .pmDeg: 62, .srVPerUs: 25, .idcUA: 70],
            .ss: [.gainDB: 77.38, .gbwMHz: 40.31, .pmDeg: 59.25, .srVPerUs: 20.95, .idcUA: 60],
            .ff: [.gainDB: 78, .gbwMHz: 50, .pmDeg: 61, .srVPerUs: 30, .idcUA: 74.94],
        ], spec: spec)
        XCTAssertEqual(e.worst[.gbwMHz], 40.31)
        XCTAssertEqual(e.worst[.idcUA], 74.94)
        XCTAssertEqual(e.worst[.pmDeg], 59.25)
        XCTAssertTrue(isClose(e.fom!, 597.6, relative: 1e-3, absolute: 0))
        XCTAssertTrue(isClose(e.margins[.pmDeg]!, -0.0125, relative: 1e-9, absolute: 0))
        XCTAssertTrue(isClose(e.margins[.idcUA]!, (500 - 74.94) / 500, relative: 1e-9, absolute: 0))
        XCTAssertEqual(e.flags, [.specFailed(metric: .pmDeg, corners: [.ss], margin: e.margins[.pmDeg]!)])
        XCTAssertFalse(e.meetsSpecs)

        // The guard band of stage III turns a thin pass into a failure.
        let banded = Evaluation(perCorner: [.tt: [.gainDB: 61, .gbwMHz: 45, .pmDeg: 70, .srVPerUs: 25, .idcUA: 70]],
                                spec: spec, guardBand: PlanningStage.allCorners.guardBand)
        guard case .specFailed(.gainDB, [.tt], _)? = banded.flags.first else { return XCTFail("\(banded.flags)") }
    }

    func testTargetFlag() throws {
        var spec = try challenge()
        spec.target = Target(metric: .gbwMHz, value: 30)
        let e = Evaluation(perCorner: [.tt: [.gainDB: 70, .gbwMHz: 40, .pmDeg: 70, .srVPerUs: 25, .idcUA: 70]], spec: spec)
        XCTAssertEqual(e.flags, [.targetMissed(metric: .gbwMHz, value: 40, target: 30)])
        XCTAssertFalse(e.meetsSpecs)
    }

    func testStages() throws {
        let spec = try challenge()
        XCTAssertEqual(PlanningStage.idealBias.corners(of: spec), [.tt])
        XCTAssertEqual(PlanningStage.realBias.bias, .selfBiased)
        XCTAssertEqual(PlanningStage.allCorners.corners(of: spec), Corner.allCases)
    }

    func testTraceRecordIsOneJSONLine() throws {
        let spec = try challenge()
        var design = Design.initial(.structure1)
        let actions = [SizingAction(device: "Cc", param: .value, op: .scale, value: 1.1)]
        let applied = try design.apply(actions, limits: spec.limits)
        let e = Evaluation(perCorner: [.tt: [.gbwMHz: 30, .idcUA: 50]], spec: spec)
        let record = TraceRecord(iteration: 3, stage: .idealBias, agent: "expert", reasoning: "PM short\nmore Cc",
                                 actions: actions, applied: applied, design: design, evaluation: e, simulations: 6, seconds: 0.25)
        let line = try record.jsonLine()
        XCTAssertFalse(line.contains("\n"))
        XCTAssertTrue(line.contains("\"gbw_mhz\":30"), line)
        XCTAssertTrue(line.contains("\"stage\":\"I\""))
        let back = try JSONDecoder().decode(TraceRecord.self, from: Data(line.utf8))
        XCTAssertEqual(back, record)
    }

    func testExpertPolicyPicksTheWorstFailure() throws {
        let spec = try challenge()
        let e = Evaluation(perCorner: [.tt: [.gainDB: 70, .gbwMHz: 15, .pmDeg: 55, .srVPerUs: 25, .idcUA: 70]], spec: spec)
        // GBW is 25 % short, PM 8 %: GBW goes first, via Rz.
        let plan = try XCTUnwrap(ExpertPolicy.propose(e, design: Design.initial(.structure1)))
        XCTAssertEqual(plan.actions, [SizingAction(device: "Rz", param: .value, op: .scale, value: 1.2)])
        XCTAssertTrue(plan.reasoning.hasPrefix("gbw_mhz short by 25 %"), plan.reasoning)
        // With Rz exhausted the next rule applies; its JSON round-trips through the action parser.
        let next = try XCTUnwrap(ExpertPolicy.propose(e, design: Design.initial(.structure1), exhausted: ["Rz"]))
        XCTAssertEqual(next.actions.first?.device, "M1")
        let json = String(decoding: try JSONEncoder().encode(next), as: UTF8.self)
        XCTAssertEqual(try ActionPlan.parse(json, for: Design.initial(.structure1)), next)
        // Slew in the self-biased design moves R2 the other way instead of the absent Ibias.
        let slow = Evaluation(perCorner: [.tt: [.gainDB: 70, .gbwMHz: 30, .pmDeg: 65, .srVPerUs: 10, .idcUA: 70]], spec: spec)
        let sb = try XCTUnwrap(ExpertPolicy.propose(slow, design: Design.initial(.structure1, bias: .selfBiased)))
        XCTAssertEqual(sb.actions.first?.device, "R2")
        XCTAssertLessThan(sb.actions.first!.value, 1)
        // Nothing failing: no proposal.
        let good = Evaluation(perCorner: [.tt: [.gainDB: 70, .gbwMHz: 30, .pmDeg: 65, .srVPerUs: 25, .idcUA: 70]], spec: spec)
        XCTAssertNil(ExpertPolicy.propose(good, design: Design.initial(.structure1)))
        XCTAssertTrue(good.meetsSpecs)
        // Every rule moves a knob that Structure I has in one of its bias modes.
        for rule in ExpertPolicy.rules {
            for a in rule.actions {
                let ideal = ActionPlan.knobs(of: Design.initial(.structure1)), real = ActionPlan.knobs(of: Design.initial(.structure1, bias: .selfBiased))
                XCTAssertTrue(ideal.contains(a.device) || real.contains(a.device), a.device)
            }
        }
    }
}
