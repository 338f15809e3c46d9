import XCTest
import Spice

/// `.include` and `.lib` with files on disk: relative paths, sections, nesting.
final class NetlistIncludeTests: XCTestCase {
    func testIncludeAndLibSections() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/Models/corners", withIntermediateDirectories: true)
        // The library's sections include files relative to the library, not to the deck.
        try """
        * corner library
        .lib tt
        .param vt=0.5
        .include corners/Typical.spice
        .endl tt
        .lib ff
        .param vt=0.4
        .include corners/Typical.spice
        .endl
        """.write(toFile: dir + "/Models/all.lib", atomically: true, encoding: .utf8)
        try """
        .model NCH nmos (level=1 vto={vt}
        + kp=100u)
        """.write(toFile: dir + "/Models/corners/Typical.spice", atomically: true, encoding: .utf8)
        try "r9 a 0 9\n".write(toFile: dir + "/Sub Dir.inc", atomically: true, encoding: .utf8)
        try """
        deck with includes
        .lib "Models/all.lib" FF
        .include 'Sub Dir.inc'
        m1 d g 0 0 nch w=1u l=1u
        .lib local
        r8 a 0 8
        .endl
        .end
        """.write(toFile: dir + "/top.cir", atomically: true, encoding: .utf8)
        let deck = try Deck.load(path: dir + "/top.cir")
        XCTAssertEqual(deck.title, "deck with includes")
        XCTAssertEqual(deck.models["nch"]?.parameters["vto"], 0.4)
        XCTAssertEqual(deck.models["nch"]?.location, SourceLocation(file: dir + "/Models/corners/Typical.spice", line: 1))
        XCTAssertEqual(deck.elements.map(\.name), ["r9", "m1"])  // `.lib local` is a definition, not used
        XCTAssertEqual(element(deck, "r9")?.location, SourceLocation(file: dir + "/Sub Dir.inc", line: 1))
    }

    func testSameFileIncludedTwiceIsNotACycle() throws {
        let dir = try temporaryDirectory()
        try ".param k=2\n".write(toFile: dir + "/p.inc", atomically: true, encoding: .utf8)
        let deck = try parseDeck("t\n.include p.inc\n.include p.inc\nr1 a 0 {k}\n", directory: dir)
        XCTAssertEqual(resistance(deck, "r1"), 2)
    }

    func testLoadMissingDeck() {
        XCTAssertThrowsError(try Deck.load(path: "/nonexistent/deck.cir")) { error in
            XCTAssertEqual((error as? NetlistError)?.description, "cannot read deck file '/nonexistent/deck.cir'")
        }
    }
}

/// A cut-down library in the shape of sky130's: corner sections, a device subcircuit that declares its
/// sizes with `.param` and carries binned models, `.option scale`, and instance lines that compute
/// junction areas from their own W and nf.
final class NetlistFoundryShapeTests: XCTestCase {
    func testSky130ShapedLibrary() throws {
        let dir = try temporaryDirectory()
        try """
        * foundry library
        .lib tt
        .param mc_mm_switch=0
        .param toxe_mult=1.0
        .include "cells/nfet.spice"
        .endl tt
        .lib ff
        .param mc_mm_switch=0
        .param toxe_mult=0.95
        .include "cells/nfet.spice"
        .endl ff
        """.write(toFile: dir + "/foundry.lib.spice", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/cells", withIntermediateDirectories: true)
        try """
        .option scale=1.0u
        .subckt nfet_01v8 d g s b mult=1
        .param l=1 w=1 nf=1.0 ad=0 as=0 pd=0 ps=0 nrd=0 nrs=0 sa=0 sb=0 sd=0
        + dtox = 'agauss(0, 1.0, 1) * mc_mm_switch'
        msky130 d g s b nshort_model l = {l} w = {w} nf = {nf} ad = {ad} as = {as} pd = {pd} ps = {ps}
        + nrd = {nrd} nrs = {nrs} sa = {sa} sb = {sb} sd = {sd}
        .model nshort_model.1 nmos level = 1 lmin = 0.15 lmax = 1.0
        + tox = {4.148e-009 * toxe_mult + dtox}
        .model nshort_model.2 nmos level = 1 lmin = 1.0 lmax = 100.0
        + tox = {4.148e-009 * toxe_mult + dtox}
        .ends nfet_01v8
        """.write(toFile: dir + "/cells/nfet.spice", atomically: true, encoding: .utf8)
        let deck = try parseDeck("""
        amp corner ff
        .lib "foundry.lib.spice" ff
        .param wn=4 ln=0.5
        XM1 d g 0 0 nfet_01v8 L={ln} W={wn} nf=2 ad='int((nf+1)/2) * W/nf * 0.29' as='int((nf+2)/2) * W/nf * 0.29'
        + pd='2*int((nf+1)/2) * (W/nf + 0.29)' mult=1 m=2
        vd d 0 1.8
        vg g 0 0.9
        .op
        """, directory: dir)
        guard case .mosfet(let model, let i)? = element(deck, "m.xm1.msky130")?.kind else {
            return XCTFail("no m.xm1.msky130 in \(deck.elements.map(\.name))")
        }
        XCTAssertEqual(model, "xm1:nshort_model")
        XCTAssertEqual(Set(deck.models.keys), ["xm1:nshort_model.1", "xm1:nshort_model.2"])
        XCTAssertEqual(deck.models["xm1:nshort_model.1"]!.parameters["tox"]!, 4.148e-9 * 0.95, accuracy: 1e-24)
        XCTAssertEqual(i.w!, 4e-6, accuracy: 1e-20)
        XCTAssertEqual(i.l!, 0.5e-6, accuracy: 1e-20)
        XCTAssertEqual(i.ad!, 1 * 2 * 0.29 * 1e-12, accuracy: 1e-26)  // int(1.5) * 4/2 * 0.29 µm²
        XCTAssertEqual(i.as!, 2 * 2 * 0.29 * 1e-12, accuracy: 1e-26)  // int(2) * 4/2 * 0.29 µm²
        XCTAssertEqual(i.pd!, 2 * 1 * (2 + 0.29) * 1e-6, accuracy: 1e-20)
        XCTAssertEqual(i.extra["nf"], 2)
        XCTAssertEqual(i.m, 2)  // X-line m multiplies the device; `mult` is the subcircuit's own parameter
        XCTAssertEqual(deck.options.scale, 1e-6)
    }
}
