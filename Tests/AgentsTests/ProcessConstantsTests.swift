import XCTest
import Foundation
import Agents

/// Process constants measured on model libraries in-process, and the initiation prompt that carries them.
final class ProcessConstantsTests: XCTestCase {
    static let pdk = ModelLibrary(path: SizingSpecTests.repoRoot.appendingPathComponent("pdk/sky130/sky130.lib.spice").path)

    /// `monotonePMOS` false skips the falling-gm/Id check for PMOS (fitted cards may kink between inversion regions).
    func checkPlausible(_ p: ProcessConstants, monotonePMOS: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        for (name, pol, kRange) in [("nmos", p.nmos, 50.0...800.0), ("pmos", p.pmos, 10.0...300.0)] {
            XCTAssertTrue(kRange.contains(pol.kPrime), "\(name) K' \(pol.kPrime)", file: file, line: line)
            XCTAssertTrue((0.2...1.3).contains(pol.vth), "\(name) Vth \(pol.vth)", file: file, line: line)
            XCTAssertEqual(pol.lambda.map(\.lUM), ProcessConstants.lambdaLengths, file: file, line: line)
            // Longer channels modulate less.
            XCTAssertGreaterThan(pol.lambda.first!.value, pol.lambda.last!.value, "\(name) λ \(pol.lambda)", file: file, line: line)
            XCTAssertTrue(pol.lambda.allSatisfy { $0.value > 0 && $0.value < 2 }, file: file, line: line)
            XCTAssertEqual(pol.gmOverId.count, ProcessConstants.densities.count, "\(name) gm/Id \(pol.gmOverId)", file: file, line: line)
            // gm/Id falls from weak inversion (below 1/(n·Vt) ≈ 40/V) towards strong inversion.
            let g = pol.gmOverId.map(\.gmOverId)
            XCTAssertTrue(g.allSatisfy { $0 > 1 && $0 < 40 }, "\(name) gm/Id \(g)", file: file, line: line)
            if name == "nmos" || monotonePMOS {
                XCTAssertTrue(zip(g, g.dropFirst()).allSatisfy { $0 > $1 }, "\(name) gm/Id not falling: \(g)", file: file, line: line)
            }
            XCTAssertGreaterThan(g.first!, g.last!, "\(name) gm/Id: weak inversion above strong", file: file, line: line)
        }
    }

    func testFixtureCardsGiveSquareLawConstants() throws {
        let p = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .tt)
        checkPlausible(p)
        // The fixture's cards set vth0 = 0.48 V (NMOS) and −0.62 V (PMOS); body and short-channel terms move it a little.
        XCTAssertEqual(p.nmos.vth, 0.48, accuracy: 0.15)
        XCTAssertEqual(p.pmos.vth, 0.62, accuracy: 0.2)
        // u0 270 vs 110 cm²/Vs at equal tox: NMOS K' well above PMOS.
        XCTAssertGreaterThan(p.nmos.kPrime, 1.5 * p.pmos.kPrime)
    }

    func testCornersMoveTheConstantsTheRightWay() throws {
        let tt = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .tt)
        let ff = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .ff)
        let ss = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .ss)
        XCTAssertLessThan(ff.nmos.vth, tt.nmos.vth)
        XCTAssertGreaterThan(ss.nmos.vth, tt.nmos.vth)
        XCTAssertLessThan(ff.pmos.vth, tt.pmos.vth)
    }

    func testResultsAreCachedPerCorner() throws {
        let a = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .sf)
        let b = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .sf)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.corner, .sf)
    }

    func testSky130CardsInTheRepository() throws {
        guard FileManager.default.fileExists(atPath: Self.pdk.path) else { throw XCTSkip("pdk/sky130 cards not in this checkout") }
        let p = try ProcessConstants.measure(library: Self.pdk, corner: .tt)
        checkPlausible(p, monotonePMOS: false)
        // The sky130 notes: long PMOS |Vth| about 1 V, NMOS well below.
        XCTAssertGreaterThan(p.pmos.vth, p.nmos.vth)
    }

    func testMissingLibraryAndMissingCardsAreTypedErrors() throws {
        XCTAssertThrowsError(try ProcessConstants.measure(library: ModelLibrary(path: "/nonexistent/models.lib"), corner: .tt)) { e in
            guard case ProcessConstantsError.library = e else { return XCTFail("\(e)") }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("miller-pc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lib = dir.appendingPathComponent("empty.lib").path
        try ".lib tt\n.model other nmos level=1\n.endl tt\n".write(toFile: lib, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProcessConstants.measure(library: ModelLibrary(path: lib), corner: .tt)) { e in
            XCTAssertTrue("\(e)".contains("process constants"), "\(e)")
        }
    }

    func testScriptsReadTheConstantsAndThePromptCarriesThem() throws {
        let p = try ProcessConstants.measure(library: SizingLoopTests.fixture, corner: .tt)
        let c = p.scriptConstants
        for name in ["kp_n", "kp_p", "vth_n", "vth_p", "lambda_n_l0_5", "lambda_p_l2", "gmid_n_d0_01", "gmid_p_d10"] {
            XCTAssertNotNil(c[name], name)
        }
        let spec = try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025.toml").path)
        let values = try SizingScript.evaluate("w = 2 * 10 / (kp_n * 0.15^2) * 1\nr = gmid_n_d0_1 * vth_p", constants: InitiationAgent.constants(spec, process: c))
        XCTAssertEqual(values["w"]!, 20 / (c["kp_n"]! * 0.0225), accuracy: 1e-9)
        let prompt = InitiationPrompt.user(spec: spec, process: p)
        for name in ["kp_n", "vth_p", "lambda_n_l1", "gmid_p_d0_1", "sr_min = 20", "cl_pf = 2"] {
            XCTAssertTrue(prompt.contains(name), "prompt lacks \(name):\n\(prompt)")
        }
        XCTAssertTrue(prompt.contains("kp_n = " + String(format: "%.4g", p.nmos.kPrime)), prompt)
        XCTAssertTrue(InitiationPrompt.system(topology: .structure2).contains("PMOS diode loads M14/M15"))
        XCTAssertTrue(InitiationPrompt.user(spec: spec, process: nil, previousError: "line 2: boom").contains("line 2: boom"))
    }
}
