import XCTest
import Foundation
import Spice
import Agents

/// Structure II: the current-mirror-OTA two-stage template, its spec file, netlist and a short run on the fixture card.
final class Structure2Tests: XCTestCase {
    func testSpecFileSelectsStructureII() throws {
        let spec = try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025-structure2.toml").path)
        XCTAssertEqual(spec.topology, .structure2)
        XCTAssertEqual(spec.corners, Corner.allCases)
        XCTAssertEqual(spec.constraints[.gbwMHz], Bound(min: 20))
    }

    func testSubcircuitHasTheCurrentMirrorFirstStageAndNMOSSecondStage() {
        let ideal = Design.initial(.structure2).subcircuit()
        let lines = ideal.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, ".subckt AMP Vinp Vinn VDD VSS Vout")
        XCTAssertEqual(lines.last, ".ends AMP")
        for prefix in ["XM1 a1 Vinn tail VSS sky130_fd_pr__nfet_01v8 ", "XM2 a2 Vinp tail VSS sky130_fd_pr__nfet_01v8 ",
                       "XM14 a1 a1 VDD VDD sky130_fd_pr__pfet_01v8 ", "XM16 n2 a1 VDD VDD sky130_fd_pr__pfet_01v8 ",
                       "XM17 o1 a2 VDD VDD sky130_fd_pr__pfet_01v8 ", "XM3 o1 o1 VSS VSS sky130_fd_pr__nfet_01v8 ",
                       "XM4 n2 o1 VSS VSS sky130_fd_pr__nfet_01v8 ", "XM6 Vout n2 VSS VSS sky130_fd_pr__nfet_01v8 ",
                       "XM7 Vout vbp VDD VDD sky130_fd_pr__pfet_01v8 ", "XM19 vbp vbp VDD VDD sky130_fd_pr__pfet_01v8 "] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(prefix) }, "missing \(prefix)")
        }
        XCTAssertTrue(lines.contains("Ibias VDD nbias 3u"))
        XCTAssertTrue(lines.contains("Rz n2 nz 4k"))
        let real = Design.initial(.structure2, bias: .selfBiased)
        XCTAssertTrue(real.subcircuit().contains("XM10 nbias pb VDD VDD sky130_fd_pr__pfet_01v8 "))
        XCTAssertTrue(real.subcircuit().contains("R2 nr VSS"))
        XCTAssertFalse(real.subcircuit().contains("Ibias"))
        // The mirrors move as pairs.
        XCTAssertEqual(Design.matched("M15"), ["M14", "M15"])
        XCTAssertEqual(Design.matched("M16"), ["M16", "M17"])
    }

    /// The expert script reproduces the template's sizing at the challenge's slew spec, with M6 in
    /// M4-sized fingers.
    func testExpertScriptMatchesTheTemplate() throws {
        let spec = try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025-structure2.toml").path)
        let d = try InitiationAgent.design(script: InitiationAgent.expertScript(.structure2), spec: spec)
        let t = Design.initial(.structure2)
        for n in ["M1", "M3", "M4", "M5", "M6", "M7", "M11"] {
            XCTAssertEqual(d.devices[n]!.w, t.devices[n]!.w, accuracy: 0.02, n)
            XCTAssertEqual(d.devices[n]!.nf, t.devices[n]!.nf, n)
        }
        XCTAssertEqual(d.devices["M6"]!.w / Double(d.devices["M6"]!.nf), d.devices["M4"]!.w / Double(d.devices["M4"]!.nf), accuracy: 0.01)
        XCTAssertEqual(d.ibiasUA, 3, accuracy: 1e-9)
        XCTAssertEqual(d.ccPF, 0.8, accuracy: 1e-9)
    }

    func testExpertScriptAndStageIIOnTheFixture() throws {
        var spec = try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025-structure2.toml").path)
        spec.corners = [.tt]
        spec.budget = Budget(iterations: 6, wallSeconds: 120)
        let stageI = try InitiationAgent.design(script: InitiationAgent.expertScript(.structure2), spec: spec)
        XCTAssertEqual(stageI.topology, .structure2)
        XCTAssertEqual(stageI.devices["M14"]?.kind, .pmos)
        let planner = PlanningAgent(spec: spec, simulation: SimulationAgent(library: SizingLoopTests.fixture, spec: spec),
                                    policy: ExpertSizingPolicy())
        let (design, _, corners) = planner.matchBias(stageI, maxIterations: 6)
        XCTAssertEqual(design.bias, .selfBiased)
        let measured = try XCTUnwrap(corners.first?.biasCurrentUA)
        XCTAssertEqual(measured / stageI.ibiasUA, 1, accuracy: 0.03)
        XCTAssertNotNil(corners.first?.metrics[.gainDB])
    }
}
