/// The six official-method testbenches of the AICAS 2025 challenge (see `shared/anchors/aicas2025.md`).
public enum Testbench: String, Sendable, CaseIterable, Codable {
    /// Open loop, AC +0.5 on Vinn and −0.5 on Vinp: gain at 1 Hz, GBW at 0 dB, PM = phase there. 25 °C.
    case ac
    /// Open loop, Vinp 0 → VDD and Vinn VDD → 0 at 1 µs: SR on the first rising edge. 27 °C.
    case slew
    /// Follower with AC 1 in series with the feedback and on Vinp: CMRR = −vdb(Vout) at 1 kHz. 25 °C.
    case cmrr
    /// Follower, AC 1 on VDD: PSRR = −vdb(Vout) at 1 kHz. 25 °C.
    case psrr
    /// Follower, `.noise v(Vout) Vinp`: input-referred density at 1 kHz. 27 °C.
    case noise
    /// Both inputs at VCM, `.op`: Idc = current of the 0 V source in series with VDD. 27 °C.
    case idc

    /// The temperature the official method runs this bench at, °C.
    public var temperature: Double {
        switch self {
        case .ac, .cmrr, .psrr: 25
        case .slew, .noise, .idc: 27
        }
    }
}

/// Where the device models come from: a `.lib` file and the section (corner) to load.
public struct ModelLibrary: Sendable, Equatable {
    public var path: String
    public init(path: String) { self.path = path }

    func line(_ corner: Corner) -> String {
        let quoted = path.contains(" ") ? "\"\(path)\"" : path
        return ".lib \(quoted) \(corner.rawValue)"
    }
}

extension Design {
    /// The deck text of one testbench at one corner, the amplifier subcircuit inline. Nodes at the top
    /// level: `vinp vinn vdd vss vout`; the supply runs through `Vidd` (0 V) so Idc reads as `i(vidd)`.
    /// `temperature` overrides the official bench temperature when given.
    public func testbench(_ bench: Testbench, corner: Corner, library: ModelLibrary, vdd: Double = 1.8,
                          vcm: Double = 0.9, clPF: Double = 2, temperature: Double? = nil) -> String {
        let v = spiceNumber(vdd), cm = spiceNumber(vcm)
        var lines = [
            "* Miller \(topology.rawValue) (\(bias.rawValue) bias): \(bench.rawValue) testbench, corner \(corner.rawValue)",
            library.line(corner),
            subcircuit(),
            "Xamp vinp vinn vdd vss vout AMP",
            "Cl vout 0 \(spiceNumber(clPF))p",
            "Vss vss 0 0",
            "Vidd vdd_src vdd 0",
        ]
        switch bench {
        case .ac:
            lines += ["Vdd vdd_src 0 \(v)",
                      "Vinp vinp 0 dc \(cm) ac 0.5 180",
                      "Vinn vinn 0 dc \(cm) ac 0.5",
                      ".ac dec 100 1 1G"]
        case .slew:
            lines += ["Vdd vdd_src 0 \(v)",
                      "Vinp vinp 0 pulse(0 \(v) 1u 1n 1n 10u 20u)",
                      "Vinn vinn 0 pulse(\(v) 0 1u 1n 1n 10u 20u)",
                      ".tran 0.1n 2u"]
        case .cmrr:
            lines += ["Vdd vdd_src 0 \(v)",
                      "Vinp vinp 0 dc \(cm) ac 1",
                      "Vfb vinn vout dc 0 ac 1",
                      ".ac dec 100 1 1G"]
        case .psrr:
            lines += ["Vdd vdd_src 0 dc \(v) ac 1",
                      "Vinp vinp 0 dc \(cm)",
                      "Vfb vinn vout 0",
                      ".ac dec 100 1 1G"]
        case .noise:
            lines += ["Vdd vdd_src 0 \(v)",
                      "Vinp vinp 0 dc \(cm) ac 1",
                      "Vfb vinn vout 0",
                      ".noise v(vout) vinp dec 100 1 1meg"]
        case .idc:
            lines += ["Vdd vdd_src 0 \(v)",
                      "Vinp vinp 0 \(cm)",
                      "Vinn vinn 0 \(cm)",
                      ".op"]
        }
        lines.append(".temp \(spiceNumber(temperature ?? bench.temperature))")
        lines.append(".end")
        return lines.joined(separator: "\n") + "\n"
    }
}
