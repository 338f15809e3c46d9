import Foundation
import XCTest
import Spice
import TestSupport

/// The single-instance evaluator, the Levenberg–Marquardt solver, the sky130 fit's `--check` path and the
/// committed `pdk/sky130/sky130.lib.spice` (loads in every corner, foundry-style netlists run, a missing
/// section is an error, W/L outside the fitted range warns).
final class PDKTests: XCTestCase {
    /// The repository root (the committed pdk/ data and library live there).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let library = root + "/pdk/sky130/sky130.lib.spice"
    static let data = root + "/pdk/sky130/data"

    static let card = """
        .model nch nmos level=8 version=3.3 mobmod=1 capmod=2 noimod=1 tox=7.6e-9 nch=1.7e17 vth0=0.55
        + k1=0.6 k2=-0.02 k3=30 dvt0=2.5 dvt1=0.55 u0=420 ua=2.2e-9 ub=5.8e-19 vsat=1.5e5 a0=1.1 ags=0.2
        + keta=-0.03 rdsw=700 prwg=0.05 wint=5e-8 lint=4e-8 voff=-0.09 nfactor=1.2 eta0=0.05 etab=-0.05
        + pclm=1.4 pdiblc1=0.3 pdiblc2=0.008 pvag=0.2 cgso=2e-10 cgdo=2e-10 cj=1e-3 cjsw=3e-10 lvth0=-0.01
        .model pch pmos level=8 version=3.3 mobmod=1 capmod=2 noimod=1 tox=7.6e-9 vth0=-0.6 u0=120
        + vsat=1e5 rdsw=900 pclm=1.0 cgso=2e-10 cgdo=2e-10
        """

    /// The evaluator gives the same Id, gm, gds, gmbs and capacitances as a circuit-level operating point of
    /// the same instance (NMOS and PMOS, several regions, M = 2).
    func testEvaluatorMatchesOperatingPoint() throws {
        let models = try Deck.parse("cards\n\(Self.card)\n.end\n").models
        let cases: [(String, Double, Double, Double)] = [
            ("nch", 1.2, 1.0, 0), ("nch", 0.4, 0.8, -0.5), ("nch", 1.5, 0.1, 0), ("pch", -1.2, -1.0, 0), ("pch", -0.8, -0.2, 0.3),
        ]
        for (model, vgs, vds, vbs) in cases {
            let text = """
                op probe
                .options reltol=1e-9 vntol=1e-12 abstol=1e-18
                vd d 0 \(vds)
                vg g 0 \(vgs)
                vb b 0 \(vbs)
                m1 d g 0 b \(model) w=3u l=0.6u m=2 ad=1p as=1p pd=4u ps=4u
                \(Self.card)
                .op
                .end
                """
            let sim = try Simulator(deck: try Deck.parse(text))
            _ = try sim.run()
            let e = try BSIMLiteEvaluator(cards: Array(models.values), model: model,
                                          instance: MOSInstance(w: 3e-6, l: 0.6e-6, m: 2, ad: 1e-12, as: 1e-12, pd: 4e-6, ps: 4e-6))
            // The solved node voltages equal the sources, so the terminal biases are exact.
            let p = e.evaluate(vgs: vgs, vds: vds, vbs: vbs)
            let at = "\(model) vgs=\(vgs) vds=\(vds) vbs=\(vbs)"
            let id = try XCTUnwrap(sim.deviceParameter("m1", "id"))
            XCTAssert(isClose(abs(p.id), abs(id), relative: 1e-9, absolute: 1e-18), "id \(p.id) vs \(id) at \(at)")
            for (name, mine) in [("gm", p.gm), ("gds", p.gds), ("gmbs", p.gmbs), ("vth", p.vth), ("capbd", p.capbd)] {
                let op = try XCTUnwrap(sim.deviceParameter("m1", name), name)
                XCTAssert(isClose(mine, op, relative: 1e-9, absolute: 1e-18), "\(name) \(mine) vs \(op) at \(at)")
            }
            let cgg = try XCTUnwrap(sim.deviceParameter("m1", "cgg"))
            XCTAssert(isClose(p.cggIntrinsic, cgg, relative: 1e-9, absolute: 1e-24), "cgg \(p.cggIntrinsic) vs \(cgg) at \(at)")
            XCTAssertGreaterThan(p.cgg, p.cggIntrinsic, "total Cgg includes the overlaps at \(at)")
            // The current function and the full evaluation agree.
            let c = e.current(vgs: vgs, vds: vds, vbs: vbs)
            XCTAssertEqual(c.id, p.id)
        }
    }

    /// LM recovers the parameters of a synthetic exponential-plus-offset model exactly from noise-free data,
    /// starting far away, and is deterministic.
    func testLevenbergMarquardtRecoversKnownParameters() {
        let truth = [2.5, 1.3, -0.4]
        let xs = stride(from: 0.0, through: 4.0, by: 0.1).map { $0 }
        func model(_ p: [Double], _ x: Double) -> Double { p[0] * exp(-p[1] * x) + p[2] }
        let ys = xs.map { model(truth, $0) }
        let lm = LevenbergMarquardt(maxIterations: 200, relativeTolerance: 1e-14)
        let r1 = lm.minimize(start: [1, 0.2, 1]) { p in zip(xs, ys).map { model(p, $0) - $1 } }
        for (got, want) in zip(r1.parameters, truth) {
            XCTAssert(isClose(got, want, relative: 1e-6, absolute: 1e-8), "fitted \(r1.parameters), truth \(truth)")
        }
        XCTAssertLessThan(r1.cost, 1e-12)
        let r2 = lm.minimize(start: [1, 0.2, 1]) { p in zip(xs, ys).map { model(p, $0) - $1 } }
        XCTAssertEqual(r1.parameters, r2.parameters, "same input, same answer")
    }

    /// `miller pdk fit --check` on a small subset: refitting the nfet, tt, L = 8 µm (all five widths) from
    /// the committed data gives the committed library's parameters.
    func testCommittedCardsReproduceFromData() throws {
        guard FileManager.default.fileExists(atPath: Self.library) else { throw XCTSkip("no \(Self.library)") }
        let lines = try PDKPipeline.check(data: Self.data, library: Self.library, corners: ["tt"], devices: ["nfet_01v8"],
                                          lengths: [8], options: PDKFit.Options())
        XCTAssertEqual(lines.count, 5, "one line per width: \(lines)")
        XCTAssert(lines.allSatisfy { $0.contains("reproduce") }, "\(lines)")
    }

    /// A foundry-style netlist (xschem instance lines, nf, m) runs in every corner of the library by
    /// changing only the `.lib` line, with currents in the order of the corners and `m=2` doubling current.
    func testLibraryRunsFoundryStyleNetlistInEveryCorner() throws {
        var currents: [String: (Double, Double, Double)] = [:]
        for corner in ["tt", "ff", "ss", "fs", "sf"] {
            let text = """
                foundry-style
                .lib \(Self.library) \(corner)
                XM1 d g 0 0 sky130_fd_pr__nfet_01v8 L=0.5 W=4 nf=2 ad='int((nf+1)/2) * W/nf * 0.29' as='int((nf+2)/2) * W/nf * 0.29'
                + pd='2*int((nf+1)/2) * (W/nf + 0.29)' ps='2*int((nf+2)/2) * (W/nf + 0.29)' nrd='0.29 / W' nrs='0.29 / W'
                + sa=0 sb=0 sd=0 mult=1 m=1
                XM2 d2 g 0 0 sky130_fd_pr__nfet_01v8 L=0.5 W=4 nf=2 m=2
                XM3 dp gp vdd vdd sky130_fd_pr__pfet_01v8 L=1 W=8 nf=1 m=1
                vdd vdd 0 1.8
                vd d 0 0.9
                vd2 d2 0 0.9
                vg g 0 0.9
                vgp gp 0 0.9
                vdp dp 0 0.9
                .op
                .end
                """
            let sim = try Simulator(deck: try Deck.parse(text, file: "/tmp/pdk-test.spice"))
            _ = try sim.run()
            XCTAssertFalse(sim.warnings.contains { $0.contains("outside the fitted range") }, "\(corner): \(sim.warnings)")
            let i1 = try XCTUnwrap(sim.deviceParameter("m.xm1.msky130_fd_pr__nfet_01v8", "id"), "\(corner) xm1")
            let i2 = try XCTUnwrap(sim.deviceParameter("m.xm2.msky130_fd_pr__nfet_01v8", "id"), "\(corner) xm2")
            let ip = try XCTUnwrap(sim.deviceParameter("m.xm3.msky130_fd_pr__pfet_01v8", "id"), "\(corner) xm3")
            XCTAssertGreaterThan(i1, 20e-6, "\(corner): nfet W=4 L=0.5 at 0.9 V conducts")
            XCTAssert(isClose(i2, 2 * i1, relative: 1e-6, absolute: 0), "\(corner): m=2 doubles the current (\(i1), \(i2))")
            XCTAssertGreaterThan(abs(ip), 1e-8, "\(corner): pfet conducts (long PMOS are weak in sky130)")
            currents[corner] = (i1, i2, abs(ip))
        }
        let c = try XCTUnwrap(currents["tt"]), f = try XCTUnwrap(currents["ff"]), s = try XCTUnwrap(currents["ss"])
        XCTAssert(f.0 > c.0 && c.0 > s.0, "nfet ff > tt > ss: \(currents)")
        XCTAssert(f.2 > c.2 && c.2 > s.2, "pfet ff > tt > ss: \(currents)")
    }

    /// A corner the library lacks is an error naming the section; W/L outside the fitted range warns with
    /// the instance and the range, and still simulates.
    func testMissingSectionErrorsAndOutOfRangeWarns() throws {
        XCTAssertThrowsError(try Deck.parse("x\n.lib \(Self.library) tf\n.end\n", file: "/tmp/x.spice")) { error in
            XCTAssert("\(error)".contains("'tf'"), "\(error)")
        }
        let text = """
            out of range
            .lib \(Self.library) tt
            XM9 d g 0 0 sky130_fd_pr__nfet_01v8 L=0.1 W=4
            XM8 d g 0 0 sky130_fd_pr__nfet_01v8 L=1 W=0.3
            XM7 d g 0 0 sky130_fd_pr__nfet_01v8 L=1 W=4
            vd d 0 0.9
            vg g 0 0.9
            .op
            .end
            """
        let sim = try Simulator(deck: try Deck.parse(text, file: "/tmp/pdk-test.spice"))
        _ = try sim.run()
        let warning = sim.warnings.first { $0.contains("outside the fitted range") }
        XCTAssertNotNil(warning, "\(sim.warnings)")
        XCTAssert(warning?.contains("xm9") == true && warning?.contains("L 0.15–8 µm") == true, warning ?? "")
        XCTAssertNotNil(sim.deviceParameter("m.xm9.msky130_fd_pr__nfet_01v8", "id"))
        // W below the fitted range: the warning names the instance and the width range; in range: no warning.
        let narrow = sim.warnings.first { $0.contains("xm8") && $0.contains("outside the fitted range") }
        XCTAssert(narrow?.contains("W 0.42–100 µm") == true, "\(sim.warnings)")
        XCTAssertNotNil(sim.deviceParameter("m.xm8.msky130_fd_pr__nfet_01v8", "id"))
        XCTAssertFalse(sim.warnings.contains { $0.contains("xm7") }, "\(sim.warnings)")
    }

    /// Op-amp biases (|Vgs|, |Vds|) per device for the width scans: moderate inversion in saturation.
    static let opAmpBiases: [String: [(Double, Double)]] = [
        "nfet_01v8": [(0.6, 0.3), (0.6, 0.9), (0.8, 0.9)],
        "pfet_01v8": [(0.95, 0.3), (0.95, 0.9), (1.15, 0.9)],
    ]

    /// The committed cards are smooth between the grid widths: a dense scan of 40 log-spaced widths
    /// 0.42–100 µm (a factor 1.15 apart) at L = 0.5, 1 and 2 µm, every corner, both devices, at op-amp biases
    /// gives an ln(Id/W) whose step between neighbouring widths stays under 0.3 (narrow devices do change
    /// fast: the foundry pfet's Id/W near threshold falls ~3× from W = 0.42 to 1.5 µm) and whose step changes
    /// by at most 0.06 from one pair to the next (no kink or jump). Independent per-geometry fits interpolated
    /// between grid points broke both by far (pfet tt L = 1, |Vgs| = 1.15: Id/W 0.9 → 8 → 7.5 → 3.9 µA/µm at
    /// W = 5, 8, 10, 12).
    func testCardsAreSmoothAcrossWidth() throws {
        guard FileManager.default.fileExists(atPath: Self.library) else { throw XCTSkip("no \(Self.library)") }
        let widths = (0..<40).map { 0.42 * pow(100 / 0.42, Double($0) / 39) }
        var worstStep = (0.0, ""), worstKink = (0.0, "")
        for corner in PDKDataset.corners {
            let cards = try PDKReport.cards(library: Self.library, corner: corner)
            for device in PDKDataset.devices {
                let sign = device.hasPrefix("p") ? -1.0 : 1.0
                for l in [0.5, 1, 2] {
                    let evaluators = try widths.map { w in
                        try BSIMLiteEvaluator(cards: cards, model: "\(device)_\(corner)",
                                              instance: MOSInstance(w: w * 1e-6, l: l * 1e-6, ad: w * 0.29e-12, as: w * 0.29e-12,
                                                                    pd: 2 * (w + 0.29) * 1e-6, ps: 2 * (w + 0.29) * 1e-6))
                    }
                    for (vgs, vds) in Self.opAmpBiases[device]! {
                        let perWidth = zip(widths, evaluators).map { w, e in
                            abs(e.current(vgs: sign * vgs, vds: sign * vds, vbs: 0).id) / w
                        }
                        let steps = (1..<widths.count).map { log(perWidth[$0] / perWidth[$0 - 1]) }
                        func at(_ i: Int) -> String {
                            String(format: "%@ %@ L=%g |Vgs|=%g |Vds|=%g W %.3g→%.3g→%.3g µm: Id/W %.4g → %.4g → %.4g A/m", device,
                                   corner, l, vgs, vds, widths[max(i - 1, 0)], widths[i], widths[i + 1], perWidth[max(i - 1, 0)],
                                   perWidth[i], perWidth[i + 1])
                        }
                        for (i, step) in steps.enumerated() {
                            if !(abs(step) <= worstStep.0) { worstStep = (abs(step), at(i)) }
                            XCTAssert(abs(step) <= 0.3, "ln(Id/W) steps by \(String(format: "%.3f", step)) at \(at(i))")
                            guard i > 0 else { continue }
                            let kink = abs(step - steps[i - 1])
                            if !(kink <= worstKink.0) { worstKink = (kink, at(i)) }
                            XCTAssert(kink <= 0.06, "ln(Id/W) step changes by \(String(format: "%.3f", kink)) at \(at(i))")
                        }
                    }
                }
            }
        }
        print(String(format: "largest ln(Id/W) step %.3f at %@", worstStep.0, worstStep.1))
        print(String(format: "largest change of step %.3f at %@", worstKink.0, worstKink.1))
    }

    /// The committed cards match the held-out foundry data (`-mid` files: geometries between the grid points,
    /// never fitted) at op-amp biases: for every corner and device, at the held-out geometries with L 0.5–3 µm
    /// and W ≥ 1 µm (where the op-amps live), Id in saturation at |Vds| 0.3 and 0.9 V, foundry gm/Id 8–20 /V and
    /// Id/W ≥ 0.05 µA/µm (op-amp current densities) is within 10 % everywhere and 4 % in the median.
    func testCardsMatchHeldOutGeometries() throws {
        guard FileManager.default.fileExists(atPath: Self.library) else { throw XCTSkip("no \(Self.library)") }
        guard FileManager.default.fileExists(atPath: Self.data + "/nfet_01v8-tt-mid.f32") else { throw XCTSkip("no held-out data") }
        for corner in PDKDataset.corners {
            let cards = try PDKReport.cards(library: Self.library, corner: corner)
            for device in PDKDataset.devices {
                let data = try PDKDataset.load(folder: Self.data, device: device, corner: corner, set: .mid)
                var evaluators: [String: BSIMLiteEvaluator] = [:]
                var errors: [Double] = []
                var worst = (0.0, "")
                for p in data.points where p.l >= 0.5 && p.l <= 3 && p.w >= 1 && p.vbs == 0 && p.temp == 27 && p.id > 0 && p.gm > 0 {
                    let gmId = p.gm / p.id
                    guard gmId >= 8, gmId <= 20, p.id / p.w >= 0.05e-6, [0.3, 0.9].contains(where: { abs(abs(p.vds) - $0) < 1e-6 }),
                          abs(p.vds) >= max(abs(p.vgs) - p.vth, 0) + 0.1 else { continue }
                    let key = "\(p.w)/\(p.l)"
                    let e: BSIMLiteEvaluator
                    if let x = evaluators[key] { e = x } else {
                        e = try BSIMLiteEvaluator(cards: cards, model: "\(device)_\(corner)",
                                                  instance: MOSInstance(w: p.w * 1e-6, l: p.l * 1e-6, ad: p.w * 0.29e-12,
                                                                        as: p.w * 0.29e-12, pd: 2 * (p.w + 0.29) * 1e-6,
                                                                        ps: 2 * (p.w + 0.29) * 1e-6), temperature: 27)
                        evaluators[key] = e
                    }
                    let err = abs(abs(e.current(vgs: p.vgs, vds: p.vds, vbs: p.vbs).id) / p.id - 1)
                    errors.append(err)
                    if err > worst.0 {
                        worst = (err, String(format: "W=%g L=%g Vgs=%g Vds=%g (foundry %.4g A)", p.w, p.l, p.vgs, p.vds, p.id))
                    }
                }
                XCTAssertGreaterThan(errors.count, 50, "\(device) \(corner): held-out points at op-amp bias")
                let median = errors.sorted()[errors.count / 2]
                XCTAssertLessThanOrEqual(median, 0.04, "\(device) \(corner): held-out Id median error \(median)")
                XCTAssertLessThanOrEqual(worst.0, 0.10, "\(device) \(corner): held-out Id error \(worst.0) at \(worst.1)")
                print(String(format: "%@ %@ held out at op-amp bias: %d points, Id error median %.2f %%, max %.2f %% at %@",
                             device, corner, errors.count, 100 * median, 100 * worst.0, worst.1))
            }
        }
    }
}
