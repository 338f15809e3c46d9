import XCTest
import Spice

final class NetlistDeckTests: XCTestCase {
    func testTitleCommentsContinuation() throws {
        let deck = try parseDeck("""
        * This Title Starts With A Star
        * comment line
        R1 A B 1K ; inline comment
        r2 b 0 $ dollar comment
        + 2k
        * comment between continuations
        +
        r3 b GND 3k	$ tab-dollar comment
        .end
        r9 x y 1
        """)
        XCTAssertEqual(deck.title, "* This Title Starts With A Star")
        XCTAssertEqual(deck.elements.map(\.name), ["r1", "r2", "r3"])
        XCTAssertEqual(element(deck, "r1")?.nodes, ["a", "b"])
        XCTAssertEqual(resistance(deck, "r1"), 1000)
        XCTAssertEqual(resistance(deck, "r2"), 2000)
        XCTAssertEqual(element(deck, "r3")?.nodes, ["b", "0"])
        XCTAssertEqual(element(deck, "r2")?.location, SourceLocation(file: "<input>", line: 4))
    }

    func testPassives() throws {
        let deck = try parseDeck("""
        t
        r1 a 0 r=2k
        r2 a 0 {1k*2} m=2
        c1 a 0 10uF ic=1.5
        c2 a 0 c=1p
        l1 a b 1u ic=2m
        l2 b 0 3n
        """)
        XCTAssertEqual(resistance(deck, "r1"), 2000)
        XCTAssertEqual(resistance(deck, "r2"), 1000)
        guard case .capacitor(let c, let ic)? = element(deck, "c1")?.kind else { return XCTFail() }
        XCTAssertEqual(c, 10e-6, accuracy: 1e-18); XCTAssertEqual(ic, 1.5)
        guard case .capacitor(let c2, let ic2)? = element(deck, "c2")?.kind else { return XCTFail() }
        XCTAssertEqual(c2, 1e-12, accuracy: 1e-24); XCTAssertNil(ic2)
        guard case .inductor(let l, let il)? = element(deck, "l1")?.kind else { return XCTFail() }
        XCTAssertEqual(l, 1e-6, accuracy: 1e-18); XCTAssertEqual(il!, 2e-3, accuracy: 1e-15)
    }

    func source(_ deck: Deck, _ name: String) -> Source? {
        switch element(deck, name)?.kind {
        case .voltageSource(let s)?, .currentSource(let s)?: s
        default: nil
        }
    }

    func testSources() throws {
        let deck = try parseDeck("""
        t
        v1 a 0 1.8
        v2 a 0 dc 2 ac 1
        v3 a 0 ac 0.5 180
        v4 a 0 dc 0 ac 1 pulse(0.3 1 1u 1n 1n 1u 2u)
        v5 a 0 pulse 0.3 1 1u 1n 1n 1u 2u 3
        v6 a 0 sin(0.2, 1, 1k)
        v7 a 0 pwl(0 0.5 1n 1 2n 0) r=1n td=5n
        i1 a 0 exp(1m 2m 1n 1n 2n 1n)
        v8 a 0 sin(0 1 1k 0 0 90)
        v9 a 0 ac
        v10 a 0
        """)
        XCTAssertEqual(source(deck, "v1")?.dc, 1.8)
        XCTAssertEqual(source(deck, "v2")?.dc, 2); XCTAssertEqual(source(deck, "v2")?.acMagnitude, 1)
        XCTAssertEqual(source(deck, "v3")?.acMagnitude, 0.5); XCTAssertEqual(source(deck, "v3")?.acPhase, 180)
        XCTAssertEqual(source(deck, "v3")?.dc, 0)
        XCTAssertEqual(source(deck, "v4")?.dc, 0)
        guard case .pulse(let p)? = source(deck, "v4")?.waveform else { return XCTFail() }
        XCTAssertEqual(p.count, 7); XCTAssertEqual(p[0], 0.3); XCTAssertEqual(p[6], 2e-6)
        XCTAssertEqual(source(deck, "v5")?.dc, 0.3)
        guard case .pulse(let p5)? = source(deck, "v5")?.waveform else { return XCTFail() }
        XCTAssertEqual(p5.count, 7)
        XCTAssertEqual(source(deck, "v6")?.dc, 0.2)
        guard case .sin(let s)? = source(deck, "v6")?.waveform else { return XCTFail() }
        XCTAssertEqual(s.compactMap { $0 }, [0.2, 1, 1000])
        XCTAssertEqual(source(deck, "v7")?.dc, 0.5)
        guard case .pwl(let pts, let r, let td)? = source(deck, "v7")?.waveform else { return XCTFail() }
        XCTAssertEqual(pts.map(\.time), [0, 1e-9, 2e-9]); XCTAssertEqual(pts.map(\.value), [0.5, 1, 0])
        XCTAssertEqual(r, 1e-9); XCTAssertEqual(td, 5e-9)
        XCTAssertEqual(source(deck, "i1")?.dc, 1e-3)
        XCTAssertEqual(source(deck, "v8")!.dc, 1, accuracy: 1e-15)
        XCTAssertEqual(source(deck, "v9")?.acMagnitude, 1)
        XCTAssertEqual(source(deck, "v10")?.dc, 0)
    }

    func testControlledSourcesDiodesMosfets() throws {
        let deck = try parseDeck("""
        t
        .model dm d is=1e-14 rs=10
        .model nch nmos (level=1 vto=0.7 kp=100u)
        .model pch.1 pmos level=1
        .model pch.2 pmos level=1
        e1 a 0 b 0 10
        g1 a 0 b 0 1m
        vs b 0 0
        f1 a 0 vs 2
        h1 a 0 vs 1k
        d1 a 0 dm
        d2 a 0 dm 2 off
        d3 a 0 dm area=3
        m1 d g 0 0 nch w=2u l=1u ad=1p as=1p pd=4u ps=4u nrd=1 nrs=1 m=2
        m2 d g s b pch w=1u l=1u off nf=2 sa=0.3
        """)
        guard case .vcvs(let e)? = element(deck, "e1")?.kind else { return XCTFail() }
        XCTAssertEqual(e, 10); XCTAssertEqual(element(deck, "e1")?.nodes, ["a", "0", "b", "0"])
        guard case .vccs(let g)? = element(deck, "g1")?.kind else { return XCTFail() }
        XCTAssertEqual(g, 1e-3)
        guard case .cccs(let f, let fc)? = element(deck, "f1")?.kind else { return XCTFail() }
        XCTAssertEqual(f, 2); XCTAssertEqual(fc, "vs")
        guard case .ccvs(let h, let hc)? = element(deck, "h1")?.kind else { return XCTFail() }
        XCTAssertEqual(h, 1000); XCTAssertEqual(hc, "vs")
        guard case .diode(let dm, let a1, let off1)? = element(deck, "d1")?.kind else { return XCTFail() }
        XCTAssertEqual(dm, "dm"); XCTAssertEqual(a1, 1); XCTAssertFalse(off1)
        guard case .diode(_, let a2, let off2)? = element(deck, "d2")?.kind else { return XCTFail() }
        XCTAssertEqual(a2, 2); XCTAssertTrue(off2)
        guard case .diode(_, let a3, _)? = element(deck, "d3")?.kind else { return XCTFail() }
        XCTAssertEqual(a3, 3)
        guard case .mosfet(let mm, let i1)? = element(deck, "m1")?.kind else { return XCTFail() }
        XCTAssertEqual(mm, "nch"); XCTAssertEqual(i1.w, 2e-6); XCTAssertEqual(i1.l, 1e-6); XCTAssertEqual(i1.m, 2)
        XCTAssertEqual(i1.ad, 1e-12); XCTAssertEqual(i1.pd, 4e-6); XCTAssertEqual(i1.nrs, 1)
        guard case .mosfet(let pm, let i2)? = element(deck, "m2")?.kind else { return XCTFail() }
        XCTAssertEqual(pm, "pch"); XCTAssertTrue(i2.off); XCTAssertEqual(i2.extra, ["nf": 2, "sa": 0.3])
        XCTAssertEqual(deck.models["nch"]?.type, "nmos")
        XCTAssertEqual(deck.models["nch"]!.parameters["kp"]!, 100e-6, accuracy: 1e-18)
        XCTAssertEqual(deck.models["nch"]?.level, 1)
        XCTAssertEqual(deck.models["dm"]?.parameters["rs"], 10)
        XCTAssertNotNil(deck.models["pch.2"])
    }

    func testScaleOption() throws {
        let deck = try parseDeck("""
        t
        .option scale=1e-6
        .model nch nmos level=1
        m1 d g 0 0 nch w=2 l=0.5 ad=0.58 as=0.58 pd=2.58 ps=2.58
        """)
        guard case .mosfet(_, let i)? = element(deck, "m1")?.kind else { return XCTFail() }
        XCTAssertEqual(i.w!, 2e-6, accuracy: 1e-20); XCTAssertEqual(i.l!, 0.5e-6, accuracy: 1e-20)
        XCTAssertEqual(i.ad!, 0.58e-12, accuracy: 1e-26); XCTAssertEqual(i.pd!, 2.58e-6, accuracy: 1e-20)
        XCTAssertEqual(deck.options.scale, 1e-6)
    }

    func testOptionsInsideSubcircuitAreGlobal() throws {
        let deck = try parseDeck("t\n.subckt s a\n.option scale=1u\n.temp 40\nr1 a 0 1\n.ends\n")
        XCTAssertEqual(deck.options.scale, 1e-6)
        XCTAssertEqual(deck.options.temp, 40)
    }

    func testFlatteningNames() throws {
        // Names checked against ngspice 39 (`print all` / `listing e`).
        let deck = try parseDeck("""
        flatten
        .subckt inner p q rv=1k
        r5 p mid {rv}
        r6 mid q 1k
        .ends inner
        .subckt outer in out
        x2 in out inner rv=2k
        vsense out o2 0
        f1 o2 0 vsense 2
        .ends
        x1 1 0 outer
        v1 1 0 dc 1
        """)
        XCTAssertEqual(deck.elements.map(\.name), ["r.x1.x2.r5", "r.x1.x2.r6", "v.x1.vsense", "f.x1.f1", "v1"])
        XCTAssertEqual(element(deck, "r.x1.x2.r5")?.nodes, ["1", "x1.x2.mid"])
        XCTAssertEqual(element(deck, "r.x1.x2.r6")?.nodes, ["x1.x2.mid", "0"])
        XCTAssertEqual(element(deck, "v.x1.vsense")?.nodes, ["0", "x1.o2"])
        XCTAssertEqual(resistance(deck, "r.x1.x2.r5"), 2000)
        guard case .cccs(_, let control)? = element(deck, "f.x1.f1")?.kind else { return XCTFail() }
        XCTAssertEqual(control, "v.x1.vsense")
    }

    func testNestedDefinitionsGlobalsAndLocalModels() throws {
        let deck = try parseDeck("""
        t
        .global vdd
        .subckt s5 a
        .subckt s4 a
        .model dm d is=1e-14
        d1 a 0 dm
        r1 a vdd 1
        .ends
        x7 a s4
        .ends
        x5 n4 s5
        """)
        XCTAssertEqual(deck.elements.map(\.name), ["d.x5.x7.d1", "r.x5.x7.r1"])
        guard case .diode(let model, _, _)? = element(deck, "d.x5.x7.d1")?.kind else { return XCTFail() }
        XCTAssertEqual(model, "x5.x7:dm")
        XCTAssertNotNil(deck.models["x5.x7:dm"])
        XCTAssertEqual(element(deck, "r.x5.x7.r1")?.nodes, ["n4", "vdd"])
    }

    func testParameterScoping() throws {
        let deck = try parseDeck("""
        scope
        .param g=5 h = g * 2
        .subckt inner a
        ri a 0 {p+g}
        .ends
        .subckt outer a p=3
        xin a inner
        .ends
        x1 n1 outer p=7
        x2 n2 outer
        .subckt s3 a w=1 nf=1 ad=0
        .param twice = 2*w
        ra a 0 {ad}
        rb a 0 'twice'
        .ends
        x3 n3 s3 w=4 nf=2 ad='int((nf+1)/2) * w/nf * 0.29'
        x4 n4 s3 params: w=3
        r5 a 0 {h}
        """)
        XCTAssertEqual(resistance(deck, "r.x1.xin.ri"), 12)  // caller's p is visible (ngspice: 12)
        XCTAssertEqual(resistance(deck, "r.x2.xin.ri"), 8)
        XCTAssertEqual(resistance(deck, "r.x3.ra")!, 0.58, accuracy: 1e-15)  // ngspice: 0.58
        XCTAssertEqual(resistance(deck, "r.x3.rb"), 8)
        XCTAssertEqual(resistance(deck, "r.x4.rb"), 6)
        XCTAssertEqual(resistance(deck, "r5"), 10)
    }

    func testInstanceOverridesSubcircuitParamLines() throws {
        // sky130 declares W and L with `.param` inside the subcircuit; instances still set them
        // (ngspice 39 prints 1.000500e+07 and 2.001001e+06).
        let deck = try parseDeck("""
        t
        .subckt s a mult=1
        .param l=1 w=1 ad='w*2'
        ra a 0 {w*1000+l+ad*1e6}
        .ends
        x1 n1 s w=5 l=2
        x2 n2 s
        """)
        XCTAssertEqual(resistance(deck, "r.x1.ra"), 10_005_002)
        XCTAssertEqual(resistance(deck, "r.x2.ra"), 2_001_001)
    }

    func testRedefinitionsKeepTheFirst() throws {
        // ngspice 39: the first .model and the first .subckt of a name win (v(a) = 0.655 at 1 mA).
        let deck = try parseDeck("""
        t
        .model dm d is=1e-14
        .model dm d is=1e-10
        .subckt s a
        r1 a 0 1k
        .ends
        .subckt s a
        r1 a 0 2k
        .ends
        x1 b s
        """)
        XCTAssertEqual(deck.models["dm"]?.parameters["is"], 1e-14)
        XCTAssertEqual(resistance(deck, "r.x1.r1"), 1000)
        XCTAssertEqual(deck.warnings, [
            "<input>:7: redefinition of .subckt s ignored (first at <input>:4)",
            "<input>:3: redefinition of .model dm ignored (first at <input>:2)",
        ])
    }

    func testSameLineMosfetParameters() throws {
        let deck = try parseDeck("""
        t
        .param wn=4
        .model nch nmos level=1
        m1 d g 0 0 nch w={wn} l=1 ad='w*0.29' pd = '2*(w+0.29)'
        """)
        guard case .mosfet(_, let i)? = element(deck, "m1")?.kind else { return XCTFail() }
        XCTAssertEqual(i.ad!, 1.16, accuracy: 1e-15)
        XCTAssertEqual(i.pd!, 8.58, accuracy: 1e-15)
    }

    func testSubcircuitMultiplier() throws {
        let deck = try parseDeck("""
        t
        .model nch nmos level=1
        .subckt cell d g
        m1 d g 0 0 nch w=1 l=1 m=2
        r1 d 0 1k
        .ends
        x1 a b cell m=3
        """)
        guard case .mosfet(_, let i)? = element(deck, "m.x1.m1")?.kind else { return XCTFail() }
        XCTAssertEqual(i.m, 6)
        XCTAssertEqual(resistance(deck, "r.x1.r1")!, 1000.0 / 3, accuracy: 1e-9)
    }

    func testDotCards() throws {
        let deck = try parseDeck("""
        cards
        .param tstop=2u
        v1 in 0 1
        r1 in out 1k
        c1 out 0 1p
        .options reltol=1e-4 abstol=1p vntol=1u chgtol=1e-15 trtol=5 gmin=1e-13 itl1=200 itl2=60 itl4=20 tnom=25 method=gear noacct
        .temp 50
        .ic v(out)=0.5
        .nodeset v(in)=1 v(out)=0.2
        .op
        .dc v1 0 1 0.25
        .dc v1 0 1 0.5 r1 1k 2k 1k
        .ac dec 10 1 1g
        .tran 1n {tstop} 0 10n uic
        .noise v(out) v1 dec 10 1 1meg 5
        .noise v(out, in) v1 lin 10 1 1k
        .meas tran tdel TRIG v(in) VAL=0.5 RISE=1
        .save v(out)
        .print tran v(out)
        .control
        run
        echo $&tstop ; not a comment here
        write Out.raw
        .endc
        .end
        """)
        let o = deck.options
        XCTAssertEqual(o.reltol, 1e-4); XCTAssertEqual(o.abstol, 1e-12); XCTAssertEqual(o.vntol, 1e-6)
        XCTAssertEqual(o.chgtol, 1e-15); XCTAssertEqual(o.trtol, 5); XCTAssertEqual(o.gmin, 1e-13)
        XCTAssertEqual(o.itl1, 200); XCTAssertEqual(o.itl2, 60); XCTAssertEqual(o.itl4, 20)
        XCTAssertEqual(o.tnom, 25); XCTAssertEqual(o.temp, 50); XCTAssertEqual(o.method, "gear")
        XCTAssertEqual(deck.initialConditions, ["out": 0.5])
        XCTAssertEqual(deck.nodesets, ["in": 1, "out": 0.2])
        XCTAssertEqual(deck.analyses.count, 7)
        guard case .op = deck.analyses[0] else { return XCTFail() }
        guard case .dc(let s1) = deck.analyses[1] else { return XCTFail() }
        XCTAssertEqual(s1.count, 1); XCTAssertEqual(s1[0].source, "v1"); XCTAssertEqual(s1[0].values, [0, 0.25, 0.5, 0.75, 1])
        guard case .dc(let s2) = deck.analyses[2] else { return XCTFail() }
        XCTAssertEqual(s2.map(\.source), ["v1", "r1"]); XCTAssertEqual(s2[1].values, [1000, 2000])
        guard case .ac(let ac) = deck.analyses[3] else { return XCTFail() }
        XCTAssertEqual(ac.kind, .dec); XCTAssertEqual(ac.points, 10); XCTAssertEqual(ac.start, 1); XCTAssertEqual(ac.stop, 1e9)
        guard case .tran(let step, let stop, let start, let maxStep, let uic) = deck.analyses[4] else { return XCTFail() }
        XCTAssertEqual(step, 1e-9); XCTAssertEqual(stop, 2e-6); XCTAssertEqual(start, 0); XCTAssertEqual(maxStep, 1e-8)
        XCTAssertTrue(uic)
        guard case .noise(let out, let ref, let src, let sw, let pps) = deck.analyses[5] else { return XCTFail() }
        XCTAssertEqual(out, "out"); XCTAssertNil(ref); XCTAssertEqual(src, "v1"); XCTAssertEqual(sw.stop, 1e6); XCTAssertEqual(pps, 5)
        guard case .noise(_, let ref2, _, let sw2, let pps2) = deck.analyses[6] else { return XCTFail() }
        XCTAssertEqual(ref2, "in"); XCTAssertEqual(sw2.kind, .lin); XCTAssertNil(pps2)
        XCTAssertEqual(deck.measurements.map(\.text), [".meas tran tdel trig v(in) val=0.5 rise=1"])
        XCTAssertEqual(deck.outputCards.map(\.text), [".save v(out)", ".print tran v(out)"])
        XCTAssertEqual(deck.controlLines.map(\.text), ["run", "echo $&tstop ; not a comment here", "write Out.raw"])
    }
}
