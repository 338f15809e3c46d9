import XCTest
import Foundation
import Spice
import Agents

/// Templates checked without the foundry models: a stub library wraps level-1 models in subcircuits
/// named like the sky130 cells (W and L in µm, the instance parameters accepted and ignored).
final class DesignTests: XCTestCase {
    static func stubLibrary() throws -> ModelLibrary {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("miller-agents-stub-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cells = """
            .subckt sky130_fd_pr__nfet_01v8 d g s b L=1 W=1 nf=1 ad=0 as=0 pd=0 ps=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 mult=1
            M0 d g s b nstub W={W*1e-6} L={L*1e-6}
            .ends
            .subckt sky130_fd_pr__pfet_01v8 d g s b L=1 W=1 nf=1 ad=0 as=0 pd=0 ps=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 mult=1
            M0 d g s b pstub W={W*1e-6} L={L*1e-6}
            .ends
            """
        var text = "* stub sky130 cells (level 1)\n"
        for (corner, shift) in [("tt", 0.0), ("ff", -0.05), ("ss", 0.05), ("fs", 0.0), ("sf", 0.0)] {
            text += """
                .lib \(corner)
                .model nstub nmos level=1 vto=\(0.5 + shift) kp=150u lambda=0.05 gamma=0.4 phi=0.7
                .model pstub pmos level=1 vto=\(-0.6 - shift) kp=50u lambda=0.05 gamma=0.4 phi=0.7
                \(cells)
                .endl \(corner)

                """
        }
        let path = dir.appendingPathComponent("stub.lib").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return ModelLibrary(path: path)
    }

    func testSubcircuitFormat() {
        let amp = Design.initial(.structure1).subcircuit()
        let lines = amp.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, ".subckt AMP Vinp Vinn VDD VSS Vout")
        XCTAssertEqual(lines.last, ".ends AMP")
        let m1 = lines.first { $0.hasPrefix("XM1 ") }!
        XCTAssertEqual(m1, "XM1 n1 Vinn tail VSS sky130_fd_pr__nfet_01v8 L=2 W=14.5 nf=1 ad='int((1+1)/2) * 14.5/1 * 0.29'"
                       + " as='int((1+2)/2) * 14.5/1 * 0.29' pd='2*int((1+1)/2) * (14.5/1 + 0.29)'"
                       + " ps='2*int((1+2)/2) * (14.5/1 + 0.29)' nrd='0.29 / 14.5' nrs='0.29 / 14.5' sa=0 sb=0 sd=0 mult=1 m=1")
        XCTAssertTrue(lines.contains("Rz n2 nz 16.3k"))
        XCTAssertTrue(lines.contains("Cc nz Vout 0.44p"))
        XCTAssertTrue(lines.contains("Ibias VDD nbias 9.4u"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("XM6 Vout n2 VDD VDD sky130_fd_pr__pfet_01v8 L=0.5 W=30.92 ") })
        XCTAssertFalse(amp.contains("XM13"))

        let real = Design.initial(.structure1, bias: .selfBiased)
        let text = real.subcircuit()
        for name in ["XM8 ", "XM9 ", "XM10 ", "XM11 ", "XM12 ", "XM13 ", "XMS1 pb pb ns VSS", "XMS2 ns ns VSS VSS", "R2 nr VSS 5k"] {
            XCTAssertTrue(text.contains(name), "missing \(name)")
        }
        XCTAssertFalse(text.contains("Ibias"))
        XCTAssertEqual(real.deviceNames, ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M10", "M11", "M8", "M9", "M12", "M13"])
        XCTAssertTrue(text.contains("XMS1 pb pb ns VSS sky130_fd_pr__nfet_01v8 L=0.5 W=2 "))
    }

    func testEveryTestbenchParsesInEveryCorner() throws {
        let lib = try Self.stubLibrary()
        for topology in Topology.allCases {
            for bias in BiasMode.allCases {
                let design = Design.initial(topology, bias: bias)
                for bench in Testbench.allCases {
                    for corner in Corner.allCases {
                        let text = design.testbench(bench, corner: corner, library: lib)
                        do {
                            let deck = try Deck.parse(text, file: "\(topology)-\(bench)-\(corner).cir")
                            let mos = deck.elements.filter { if case .mosfet = $0.kind { return true } else { return false } }
                            XCTAssertEqual(mos.count, Design.initial(topology, bias: bias).deviceNames.count + (bias == .selfBiased ? 2 : 0))
                            XCTAssertEqual(deck.analyses.count, 1)
                            XCTAssertEqual(deck.options.temp, bench.temperature)
                        } catch {
                            XCTFail("\(topology) \(bias) \(bench) \(corner): \(error)\n\(text)")
                        }
                    }
                }
            }
        }
    }

    func testTestbenchDetails() throws {
        let lib = ModelLibrary(path: "/models/sky130.lib.spice")
        let d = Design.initial(.structure1)
        let ac = d.testbench(.ac, corner: .ss, library: lib)
        XCTAssertTrue(ac.contains(".lib /models/sky130.lib.spice ss\n"))
        XCTAssertTrue(ac.contains("Vinp vinp 0 dc 0.9 ac 0.5 180\n"))
        XCTAssertTrue(ac.contains("Vinn vinn 0 dc 0.9 ac 0.5\n"))
        XCTAssertTrue(ac.contains(".ac dec 100 1 1G\n"))
        XCTAssertTrue(ac.contains("Cl vout 0 2p\n"))
        XCTAssertTrue(d.testbench(.slew, corner: .tt, library: lib).contains(".tran 0.1n 2u\n"))
        XCTAssertTrue(d.testbench(.noise, corner: .tt, library: lib).contains(".noise v(vout) vinp dec 100 1 1meg\n"))
        XCTAssertTrue(d.testbench(.psrr, corner: .tt, library: lib).contains("Vdd vdd_src 0 dc 1.8 ac 1\n"))
        XCTAssertTrue(d.testbench(.idc, corner: .tt, library: lib).contains(".op\n.temp 27\n"))
        XCTAssertTrue(d.testbench(.cmrr, corner: .tt, library: lib, temperature: 80).contains(".temp 80\n"))
    }

    /// The follower bench's operating point: every transistor on and the output at VCM.
    func testIdealBiasOperatingPointIsSane() throws {
        let lib = try Self.stubLibrary()
        for topology in Topology.allCases {
            for bias in BiasMode.allCases {
                let text = Design.initial(topology, bias: bias).testbench(.psrr, corner: .tt, library: lib)
                let deck = try Deck.parse(text)
                let sim = try Simulator(deck: deck)
                let op = try sim.operatingPoint()
                let vout = try XCTUnwrap(sim.nodeVoltage("vout"))
                XCTAssertEqual(vout, 0.9, accuracy: 0.05, "\(topology) \(bias)")
                for e in deck.elements {
                    guard case .mosfet = e.kind, !e.name.contains("xms") else { continue }
                    let id = try XCTUnwrap(sim.deviceParameter(e.name, "id"), e.name)
                    XCTAssertGreaterThan(abs(id), 0.5e-6, "\(topology) \(bias) \(e.name) is off")
                }
                guard case .real(let values)? = op.vector(named: "i(vidd)")?.values, let idd = values.first else {
                    return XCTFail("no i(vidd) in \(op.vectors.map(\.name))")
                }
                XCTAssertGreaterThan(abs(idd), 10e-6, "\(topology) \(bias)")
                XCTAssertLessThan(abs(idd), 500e-6, "\(topology) \(bias)")
            }
        }
    }
}
