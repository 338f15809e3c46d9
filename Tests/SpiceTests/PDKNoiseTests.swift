import Foundation
import XCTest
import Spice
import TestSupport

/// The sky130 drain-noise data and the flicker-noise part of the committed cards (issue 5): the data loads,
/// the cards carry noimod=3 in every bin and reproduce the foundry's 1 kHz drain noise within the fit's
/// tolerances, and the channel thermal noise stays near the foundry's (the gmbs anomaly cannot come back).
final class PDKNoiseTests: XCTestCase {
    static let library = PDKTests.library
    static let data = PDKTests.data

    func testNoiseDataLoads() throws {
        for device in PDKDataset.devices {
            let d = try PDKNoiseDataset.load(folder: Self.data, device: device, corner: "tt")
            XCTAssertEqual(d.points.count, 35 * 2 * 17, device)
            XCTAssertEqual(d.points[0].flicker.count, PDKNoiseDataset.frequencies.count)
            // The foundry's EF: 0.84 (nfet_01v8), 1 (pfet_01v8).
            XCTAssertEqual(d.flickerExponent, device.hasPrefix("n") ? 0.84 : 1.0, accuracy: 1e-3, device)
            // Flicker dominates at 10 Hz, the thermal floor at 1 MHz is white.
            for p in d.points where p.id > 1e-6 { XCTAssertGreaterThan(p.flicker[0], p.thermal, "\(device) \(p)") }
        }
        XCTAssertThrowsError(try PDKNoiseDataset.load(folder: Self.data, device: "nfet_01v8", corner: "xx")) { error in
            XCTAssert("\(error)".contains("nfet_01v8-xx-noise.f32"), "\(error)")
        }
    }

    /// Every bin of every corner uses the unified flicker model, and the cards reproduce the foundry's drain
    /// noise at 1 kHz: flicker in the op-amp region (|Vds| = 0.9 V, L 0.5–8 µm, W 1.5–100 µm, Id ≥ 10 nA) to a
    /// median of 20 % and a 95th percentile of 60 %, flicker and total over all points to 25 % / 80 % median / p95;
    /// our thermal noise within 0.5–1.5× the foundry's (median) and at most 2.5× (p95).
    func testCommittedCardsReproduceNoiseData() throws {
        let text = try String(contentsOfFile: Self.library, encoding: .utf8)
        let models = text.components(separatedBy: "\n").filter { $0.hasPrefix(".model ") }.count
        let unified = text.components(separatedBy: "+ level=8 version=3.3.0 mobmod=1 capmod=3 noimod=3 ").count - 1
        XCTAssertEqual(unified, models, "every card carries noimod=3")
        for corner in PDKDataset.corners {
            let cards = try PDKReport.cards(library: Self.library, corner: corner)
            for device in PDKDataset.devices {
                let data = try PDKNoiseDataset.load(folder: Self.data, device: device, corner: corner)
                let e = try PDKNoiseFit.errors(cards: cards, data: data)
                let at = "\(device) \(corner)"
                print(String(format: "noise %@: flicker op-amp %.1f / %.1f %%, all %.1f / %.1f %%, total %.1f / %.1f %%, thermal ratio %.2f / %.2f",
                             at, 100 * e.flickerOpamp.median, 100 * e.flickerOpamp.p95, 100 * e.flicker.median, 100 * e.flicker.p95,
                             100 * e.total.median, 100 * e.total.p95, e.thermalRatio.median, e.thermalRatio.p95))
                XCTAssertGreaterThan(e.flickerOpamp.count, 100, at)
                XCTAssertLessThanOrEqual(e.flickerOpamp.median, 0.20, "flicker op-amp median \(at)")
                XCTAssertLessThanOrEqual(e.flickerOpamp.p95, 0.60, "flicker op-amp p95 \(at)")
                XCTAssertLessThanOrEqual(e.flicker.median, 0.25, "flicker median \(at)")
                XCTAssertLessThanOrEqual(e.total.median, 0.25, "total median \(at)")
                XCTAssertLessThanOrEqual(e.total.p95, 0.80, "total p95 \(at)")
                XCTAssert((0.5...1.5).contains(e.thermalRatio.median), "thermal ratio median \(e.thermalRatio.median) \(at)")
                XCTAssertLessThanOrEqual(e.thermalRatio.p95, 2.5, "thermal ratio p95 \(at)")
            }
        }
    }

    /// noimod=3 cards run in a noise analysis and give positive flicker noise; noimod=2 (BSIM3's charge-based
    /// thermal noise, not implemented) is refused with the card named.
    func testNoimodSelection() throws {
        let deck = { (noimod: Int) in
            """
            noimod
            vd d 0 1.2
            vg g 0 0.9 ac 1
            m1 d g 0 0 nch w=2u l=0.5u
            .model nch nmos level=8 version=3.3 noimod=\(noimod) tox=4e-9 vth0=0.45 u0=0.03 noia=1e20 noib=5e4 noic=-1e-13
            .op
            .end
            """
        }
        let sim = try Simulator(deck: try Deck.parse(deck(3)))
        _ = try sim.run()
        let d = try XCTUnwrap(sim.bsimNoiseDensities("m1", frequency: 1e3))
        XCTAssertGreaterThan(d.flicker, 0)
        XCTAssertGreaterThan(d.flicker, d.thermal, "flicker dominates at 1 kHz for this card")
        XCTAssertThrowsError(try Simulator(deck: try Deck.parse(deck(2)))) { error in
            XCTAssert("\(error)".contains("noimod=2") && "\(error)".contains("nch"), "\(error)")
        }
    }
}
