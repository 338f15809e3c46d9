import Foundation
import XCTest
import Spice
import TestSupport

/// BSIM-lite through the public API: the exact Jacobian against central finite differences of the drain
/// current, card validation errors, the one-warning rule for unsupported parameters.
final class BSIMLiteTests: XCTestCase {
    static let card = """
        .model nch nmos level=8 version=3.3 mobmod=1 capmod=2 noimod=1 tox=7.6e-9 nch=1.7e17 vth0=0.55
        + k1=0.6 k2=-0.02 k3=30 k3b=-3 dvt0=2.5 dvt1=0.55 dvt2=-0.03 dvt0w=0.1 u0=420 ua=2.2e-9 ub=5.8e-19
        + uc=-4.6e-11 vsat=1.5e5 a0=1.1 ags=0.2 b0=1e-7 keta=-0.03 a1=0.02 a2=0.8 rdsw=700 prwg=0.05
        + prwb=-0.1 wint=5e-8 lint=4e-8 voff=-0.09 nfactor=1.2 cdscd=1e-4 cdscb=-1e-4 eta0=0.05 etab=-0.05
        + pclm=1.4 pdiblc1=0.3 pdiblc2=0.008 pdiblcb=-0.05 pvag=0.2 pscbe1=4e8 pscbe2=1e-5 kt1=-0.3
        + lvth0=-0.01 wk1=0.01 pu0=1
        """

    /// Drain current of one NMOS at the given terminal voltages (source grounded), with the simulator.
    func solve(vgs: Double, vds: Double, vbs: Double, temp: Double = 27, card: String = card) throws -> Simulator {
        let text = """
            jacobian probe
            .options reltol=1e-9 vntol=1e-12 abstol=1e-18
            .temp \(temp)
            vd d 0 \(vds)
            vg g 0 \(vgs)
            vb b 0 \(vbs)
            m1 d g 0 b nch w=2u l=0.5u
            \(card)
            .op
            .end
            """
        let sim = try Simulator(deck: try Deck.parse(text))
        _ = try sim.run()
        return sim
    }

    func drainCurrent(_ vgs: Double, _ vds: Double, _ vbs: Double, temp: Double = 27) throws -> Double {
        try XCTUnwrap(solve(vgs: vgs, vds: vds, vbs: vbs, temp: temp).deviceParameter("m1", "id"))
    }

    /// gm, gds and gmbs equal the central differences of Id in every region (subthreshold, linear,
    /// saturation, reverse mode, forward body bias) and at two temperatures.
    func testJacobianMatchesFiniteDifferences() throws {
        let points: [(Double, Double, Double, Double)] = [
            (0.2, 1.0, 0, 27), (0.5, 0.05, -0.5, 27), (1.2, 0.3, 0, 27), (1.5, 2.5, -1.5, 27),
            (3.0, 3.0, 0.3, 27), (1.0, -0.8, -1.0, 27), (2.0, 1.0, -1, 125), (0.6, 2.0, 0, -40),
        ]
        let h = 1e-5
        for (vgs, vds, vbs, temp) in points {
            let sim = try solve(vgs: vgs, vds: vds, vbs: vbs, temp: temp)
            let id = try XCTUnwrap(sim.deviceParameter("m1", "id"))
            let gm = try XCTUnwrap(sim.deviceParameter("m1", "gm"))
            let gds = try XCTUnwrap(sim.deviceParameter("m1", "gds"))
            let gmbs = try XCTUnwrap(sim.deviceParameter("m1", "gmbs"))
            let fdGm = (try drainCurrent(vgs + h, vds, vbs, temp: temp) - drainCurrent(vgs - h, vds, vbs, temp: temp)) / (2 * h)
            let fdGds = (try drainCurrent(vgs, vds + h, vbs, temp: temp) - drainCurrent(vgs, vds - h, vbs, temp: temp)) / (2 * h)
            let fdGmbs = (try drainCurrent(vgs, vds, vbs + h, temp: temp) - drainCurrent(vgs, vds, vbs - h, temp: temp)) / (2 * h)
            let at = "vgs=\(vgs) vds=\(vds) vbs=\(vbs) T=\(temp) (id=\(id))"
            // In reverse mode gm/gds/gmbs are ngspice's swapped-frame values; compare the total derivatives.
            if vds >= 0 {
                XCTAssertTrue(isClose(gm, fdGm, relative: 1e-4, absolute: 1e-12), "gm \(gm) vs \(fdGm) at \(at)")
                XCTAssertTrue(isClose(gds, fdGds, relative: 1e-4, absolute: 1e-12), "gds \(gds) vs \(fdGds) at \(at)")
                XCTAssertTrue(isClose(gmbs, fdGmbs, relative: 1e-4, absolute: 1e-12), "gmbs \(gmbs) vs \(fdGmbs) at \(at)")
            } else {
                // ngspice reports Id in the channel frame: Id = Ids(vgd, −vds, vbd), so dId/dVg = gm,
                // dId/dVd = −(gm + gds + gmbs), dId/dVb = gmbs.
                XCTAssertTrue(isClose(gm, fdGm, relative: 1e-4, absolute: 1e-12), "reverse gm \(gm) vs \(fdGm) at \(at)")
                XCTAssertTrue(isClose(-(gds + gm + gmbs), fdGds, relative: 1e-4, absolute: 1e-12),
                              "reverse gds \(gds) vs \(fdGds) at \(at)")
                XCTAssertTrue(isClose(gmbs, fdGmbs, relative: 1e-4, absolute: 1e-12), "reverse gmbs \(gmbs) vs \(fdGmbs) at \(at)")
            }
        }
    }

    /// The threshold rises with reverse body bias and falls with drain bias (DIBL) and temperature.
    func testThresholdTrends() throws {
        let vth0 = try XCTUnwrap(solve(vgs: 1, vds: 0.05, vbs: 0).deviceParameter("m1", "vth"))
        let vthBody = try XCTUnwrap(solve(vgs: 1, vds: 0.05, vbs: -1.5).deviceParameter("m1", "vth"))
        let vthDibl = try XCTUnwrap(solve(vgs: 1, vds: 3, vbs: 0).deviceParameter("m1", "vth"))
        let vthHot = try XCTUnwrap(solve(vgs: 1, vds: 0.05, vbs: 0, temp: 125).deviceParameter("m1", "vth"))
        XCTAssertGreaterThan(vthBody, vth0 + 0.1)
        XCTAssertLessThan(vthDibl, vth0)
        XCTAssertLessThan(vthHot, vth0)
    }

    func expectError(_ card: String, instance: String = "m1 d g 0 0 nch w=2u l=0.5u", contains needles: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
        let text = "bad card\nvd d 0 1\nvg g 0 1\n\(instance)\n\(card)\n.op\n.end\n"
        do {
            let sim = try Simulator(deck: try Deck.parse(text, file: "bad.cir"))
            _ = try sim.run()
            XCTFail("expected an error for \(card)", file: file, line: line)
        } catch {
            let message = "\(error)"
            for needle in needles {
                XCTAssertTrue(message.contains(needle), "'\(message)' should mention '\(needle)'", file: file, line: line)
            }
        }
    }

    func testBadCardsAreErrorsNamingCardAndInstance() {
        let base = ".model nch nmos level=8 version=3.3 capmod=2"
        expectError("\(base) tox=-1e-9", contains: ["nch", "TOX"])
        expectError(".model nch nmos level=8 version=3.3 capmod=1", contains: ["nch", "capmod=1"])
        expectError("\(base) mobmod=2", contains: ["nch", "mobmod=2"])
        expectError("\(base) noimod=2", contains: ["nch", "noimod=2"])
        expectError("\(base) version=3.1", contains: ["nch", "version"])
        expectError(".model nch nmos level=9", contains: ["nch", "level 9"])
        expectError("\(base) lint=0.3u", contains: ["m1", "nch", "effective channel length"])
        expectError("\(base) clc=-1e-7", contains: ["m1", "nch", "CLC", "negative"])
        expectError("\(base) vsat=-1e4", contains: ["m1", "nch", "VSAT", "not positive"])
        expectError("\(base)", instance: "m1 d g 0 0 nch w=-2u l=0.5u", contains: ["m1", "W"])
    }

    func testBinnedSetWithoutCoveringBinIsAnErrorNamingInstance() {
        let cards = """
            .model nb.1 nmos level=8 version=3.3 capmod=2 lmin=0.35u lmax=1u wmin=0.5u wmax=100u
            .model nb.2 nmos level=8 version=3.3 capmod=2 lmin=1u lmax=100u wmin=0.5u wmax=100u
            """
        expectError(cards, instance: "m1 d g 0 0 nb w=2u l=200u", contains: ["m1", "nb", "no bin", "nb.2"])
        expectError(cards, instance: "m1 d g 0 0 nb w=0.2u l=2u", contains: ["m1", "no bin"])
    }

    func testUnsupportedParametersGiveOneWarning() throws {
        let text = """
            warn
            vd d 0 1
            vg g 0 1
            m1 d g 0 0 nch w=2u l=0.5u
            m2 d g 0 0 nch w=4u l=0.5u
            .model nch nmos level=49 version=3.3 capmod=2 acm=2 ngate=1e20 nqsmod=0 vth0=0.5
            .op
            .end
            """
        let sim = try Simulator(deck: try Deck.parse(text))
        _ = try sim.run()
        XCTAssertEqual(sim.warnings.count, 1, "\(sim.warnings)")
        let warning = try XCTUnwrap(sim.warnings.first)
        XCTAssertTrue(warning.contains("nch") && warning.contains("acm ngate nqsmod"), warning)
    }

    /// Parameters written with L/W/P prefixes change the instance through 1/Leff, 1/Weff and 1/(Leff·Weff)
    /// in µm units; a card and its equivalent base value agree.
    func testLengthWidthDependenceMatchesEquivalentBaseValue() throws {
        // Leff = 0.5u − 2·40n = 0.42u, Weff = 2u − 2·50n = 1.9u: lvth0=−0.01 adds −0.01/0.42.
        let plain = Self.card.replacingOccurrences(of: "lvth0=-0.01", with: "lvth0=0")
            .replacingOccurrences(of: "wk1=0.01", with: "wk1=0").replacingOccurrences(of: "pu0=1", with: "pu0=0")
        let shifted = plain.replacingOccurrences(of: "vth0=0.55", with: "vth0=\(0.55 - 0.01 / 0.42)")
            .replacingOccurrences(of: "k1=0.6", with: "k1=\(0.6 + 0.01 / 1.9)")
            .replacingOccurrences(of: "u0=420", with: "u0=\(420 + 1 / (0.42 * 1.9))")
        let a = try XCTUnwrap(solve(vgs: 1.5, vds: 1, vbs: -0.5).deviceParameter("m1", "id"))
        let b = try XCTUnwrap(solve(vgs: 1.5, vds: 1, vbs: -0.5, card: shifted).deviceParameter("m1", "id"))
        XCTAssertTrue(isClose(a, b, relative: 1e-9, absolute: 0), "\(a) vs \(b)")
    }
}

/// noimod=1 noise densities checked against the formulas with the operating point's own gm, gds, gmbs, Id.
final class BSIMLiteNoiseTests: XCTestCase {
    func testThermalAndFlickerDensities() throws {
        let card = BSIMLiteTests.card + "\n+ kf=2e-26 af=1.2 ef=0.9 lint=4e-8"
        let text = """
            noise probe
            .options reltol=1e-9 vntol=1e-12 abstol=1e-18
            .temp 60
            vd d 0 2
            vg g 0 1.2
            m1 d g 0 0 nch w=2u l=0.5u m=3
            \(card)
            .op
            .end
            """
        let sim = try Simulator(deck: try Deck.parse(text))
        _ = try sim.run()
        let gm = try XCTUnwrap(sim.deviceParameter("m1", "gm"))
        let gds = try XCTUnwrap(sim.deviceParameter("m1", "gds"))
        let gmbs = try XCTUnwrap(sim.deviceParameter("m1", "gmbs"))
        let id = try XCTUnwrap(sim.deviceParameter("m1", "id"))
        let n1k = try XCTUnwrap(sim.bsimNoiseDensities("m1", frequency: 1e3))
        let n1m = try XCTUnwrap(sim.bsimNoiseDensities("m1", frequency: 1e6))
        let kT4 = 4 * 1.38064852e-23 * (60 + 273.15)
        XCTAssertTrue(isClose(n1k.thermal, kT4 * 2 / 3 * (gm + gds + gmbs), relative: 1e-12, absolute: 0))
        // Flicker: M·KF·|Id/M|^AF / (f^EF·Leff²·Cox), Leff = 0.5u − 2·40n, Cox = EPSOX/TOX.
        let leff = 0.5e-6 - 2 * 4e-8, cox = 3.453133e-11 / 7.6e-9
        let expected = 3 * 2e-26 * pow(abs(id) / 3, 1.2) / (pow(1e3, 0.9) * leff * leff * cox)
        XCTAssertTrue(isClose(n1k.flicker, expected, relative: 1e-6, absolute: 0), "\(n1k.flicker) vs \(expected)")
        XCTAssertTrue(isClose(n1k.flicker / n1m.flicker, pow(1e3, 0.9), relative: 1e-12, absolute: 0))
        XCTAssertEqual(n1k.thermal, n1m.thermal)
        XCTAssertEqual(n1k.drainResistor, 0)
        XCTAssertNil(sim.bsimNoiseDensities("vd", frequency: 1e3))
    }
}
