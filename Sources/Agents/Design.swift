#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// A sized op-amp: a topology, its bias mode, every device's geometry and the passives.
///
/// Units: W (total width over all fingers) and L in µm, as the sky130 library expects (`scale=1e-6`);
/// Cc in pF, Rz and R2 in kΩ, Ibias in µA. Device names follow the challenge's Structure I
/// (M1..M13, R2) plus the start-up pair MS1/MS2, which is fixed and not a sizing knob.
public struct Design: Sendable, Equatable, Codable {
    public var topology: Topology
    public var bias: BiasMode
    public var devices: [String: DeviceSize]
    public var ccPF: Double
    public var rzKOhm: Double
    public var r2KOhm: Double
    public var ibiasUA: Double

    public init(topology: Topology, bias: BiasMode, devices: [String: DeviceSize], ccPF: Double, rzKOhm: Double,
                r2KOhm: Double, ibiasUA: Double) {
        self.topology = topology; self.bias = bias; self.devices = devices; self.ccPF = ccPF
        self.rzKOhm = rzKOhm; self.r2KOhm = r2KOhm; self.ibiasUA = ibiasUA
    }

    /// The devices of the template that are sizing knobs, in netlist order (the bias mode decides
    /// whether the reference M8..M13 is present).
    public var deviceNames: [String] { Design.connections(topology, bias).filter { !$0.fixed }.map(\.name) }

    /// Groups of devices that must stay identical (differential pair, mirror load).
    public static let matchedGroups: [[String]] = [["M1", "M2"], ["M3", "M4"], ["M14", "M15"], ["M16", "M17"]]

    /// The members of `device`'s matched group, or just `device`.
    public static func matched(_ device: String) -> [String] {
        matchedGroups.first { $0.contains(device) } ?? [device]
    }
}

/// How stage I's tail and the second stage's sink get their bias.
public enum BiasMode: String, Sendable, Codable, CaseIterable {
    /// An ideal current source into the bias diode M11 (planning stage I).
    case ideal
    /// The self-biased beta-multiplier reference M8..M13 with R2 and a start-up (stage II onwards).
    case selfBiased = "self_biased"
}

/// One MOSFET's geometry.
public struct DeviceSize: Sendable, Equatable, Codable {
    public var kind: Kind
    /// Total width over all fingers, µm.
    public var w: Double
    /// Channel length, µm.
    public var l: Double
    public var nf: Int
    /// Instance multiplier `m`.
    public var m: Int

    public enum Kind: String, Sendable, Codable { case nmos, pmos }

    public init(_ kind: Kind, w: Double, l: Double, nf: Int = 1, m: Int = 1) {
        self.kind = kind; self.w = w; self.l = l; self.nf = nf; self.m = m
    }

    /// The foundry cell this device instantiates.
    public var cell: String { kind == .nmos ? "sky130_fd_pr__nfet_01v8" : "sky130_fd_pr__pfet_01v8" }
}

/// A device's place in a template: terminals (drain, gate, source, bulk) and polarity.
struct Connection {
    var name: String
    var kind: DeviceSize.Kind
    var d: String, g: String, s: String, b: String
    /// The start-up devices are part of the template but not sizing knobs.
    var fixed = false
    init(_ name: String, _ kind: DeviceSize.Kind, _ d: String, _ g: String, _ s: String, _ b: String, fixed: Bool = false) {
        self.name = name; self.kind = kind; self.d = d; self.g = g; self.s = s; self.b = b; self.fixed = fixed
    }
}

extension Design {
    /// Transistor connections per topology and bias mode. In both structures Vout follows Vinp, n2 is
    /// the first-stage output feeding M6, and M3/M4 is the mirror whose current density M6 copies.
    static func connections(_ topology: Topology, _ bias: BiasMode) -> [Connection] {
        var list: [Connection]
        // Both structures bias M5/M7 from the diode M11 at `bias`; M10 mirrors the reference into it.
        switch topology {
        case .structure1:
            list = [
                Connection("M1", .nmos, "n1", "Vinn", "tail", "VSS"),
                Connection("M2", .nmos, "n2", "Vinp", "tail", "VSS"),
                Connection("M3", .pmos, "n1", "n1", "VDD", "VDD"),
                Connection("M4", .pmos, "n2", "n1", "VDD", "VDD"),
                Connection("M5", .nmos, "tail", "nbias", "VSS", "VSS"),
                Connection("M6", .pmos, "Vout", "n2", "VDD", "VDD"),
                Connection("M7", .nmos, "Vout", "nbias", "VSS", "VSS"),
            ]
            if bias == .selfBiased { list.append(Connection("M10", .pmos, "nbias", "pb", "VDD", "VDD")) }
            list.append(Connection("M11", .nmos, "nbias", "nbias", "VSS", "VSS"))
        case .structure2:
            // Current-mirror (symmetrical) first stage: each pair current leaves through a PMOS diode
            // (M14, M15) and comes back B times larger (M16, M17); M3/M4 fold M17's copy so the single-ended
            // output n2 sits one NMOS Vgs above ground and drives the NMOS second stage M6 at M4's current
            // density. M7 sources the second stage's current from vbp (M18 mirrors the bias into the PMOS
            // diode M19). Vinp up: more current through M17 and M4, n2 down, M6 off, Vout up.
            list = [
                Connection("M1", .nmos, "a1", "Vinn", "tail", "VSS"),
                Connection("M2", .nmos, "a2", "Vinp", "tail", "VSS"),
                Connection("M14", .pmos, "a1", "a1", "VDD", "VDD"),
                Connection("M15", .pmos, "a2", "a2", "VDD", "VDD"),
                Connection("M16", .pmos, "n2", "a1", "VDD", "VDD"),
                Connection("M17", .pmos, "o1", "a2", "VDD", "VDD"),
                Connection("M3", .nmos, "o1", "o1", "VSS", "VSS"),
                Connection("M4", .nmos, "n2", "o1", "VSS", "VSS"),
                Connection("M5", .nmos, "tail", "nbias", "VSS", "VSS"),
                Connection("M6", .nmos, "Vout", "n2", "VSS", "VSS"),
                Connection("M7", .pmos, "Vout", "vbp", "VDD", "VDD"),
                Connection("M18", .nmos, "vbp", "nbias", "VSS", "VSS"),
                Connection("M19", .pmos, "vbp", "vbp", "VDD", "VDD"),
            ]
            if bias == .selfBiased { list.append(Connection("M10", .pmos, "nbias", "pb", "VDD", "VDD")) }
            list.append(Connection("M11", .nmos, "nbias", "nbias", "VSS", "VSS"))
        }
        if bias == .selfBiased {
            // Beta multiplier: M12 diode and K-times-wider M13 over R2; PMOS mirror M8 (diode) / M9.
            list += [
                Connection("M8", .pmos, "pb", "pb", "VDD", "VDD"),
                Connection("M9", .pmos, "na", "pb", "VDD", "VDD"),
                Connection("M12", .nmos, "na", "na", "VSS", "VSS"),
                Connection("M13", .nmos, "pb", "na", "nr", "VSS"),
                // Start-up: two stacked NMOS diodes from the PMOS gate line; ~1 nA once running.
                Connection("MS1", .nmos, "pb", "pb", "ns", "VSS", fixed: true),
                Connection("MS2", .nmos, "ns", "ns", "VSS", "VSS", fixed: true),
            ]
        }
        return list
    }

    static let startupSize = DeviceSize(.nmos, w: 2, l: 0.5)

    /// A starting sizing: Structure I from the anchor's known winning sizing (tail ≈ 9.4 µA, Cc 0.44 pF,
    /// Rz 16.3 kΩ); Structure II at a 12 µA tail with Cc 0.8 pF (its rising slew is I7/(CL+Cc)).
    public static func initial(_ topology: Topology, bias: BiasMode = .ideal) -> Design {
        var d: [String: DeviceSize]
        switch topology {
        case .structure1:
            d = [
                "M1": DeviceSize(.nmos, w: 14.5, l: 2), "M2": DeviceSize(.nmos, w: 14.5, l: 2),
                "M3": DeviceSize(.pmos, w: 8.04, l: 1), "M4": DeviceSize(.pmos, w: 8.04, l: 1),
                "M5": DeviceSize(.nmos, w: 4.44, l: 1), "M6": DeviceSize(.pmos, w: 30.92, l: 0.5),
                "M7": DeviceSize(.nmos, w: 17.75, l: 1), "M11": DeviceSize(.nmos, w: 4.44, l: 1),
            ]
            if bias == .selfBiased { d["M10"] = DeviceSize(.pmos, w: 4, l: 2) }
        case .structure2:
            // Tail 12 µA (bias diode at a quarter), mirror ratio B = 2 (M16/M14), second stage 8 × M18's
            // 12 µA: M7 in M19-sized fingers and M6 in M4-sized fingers, so n2 balances at M3's Vgs.
            // PMOS fingers are 5 µm and the pair's 4 µm: widths where the fitted sky130 cards are sane
            // (pfet L = 1 µm fingers of 2–4, 6–15 and 25+ µm run 5–10× too strong above |Vgs| ≈ 1.1 V,
            // and a single 6–8 µm nfet finger stops the tt slew transient).
            d = [
                "M1": DeviceSize(.nmos, w: 8, l: 1, nf: 2), "M2": DeviceSize(.nmos, w: 8, l: 1, nf: 2),
                "M14": DeviceSize(.pmos, w: 5, l: 1), "M15": DeviceSize(.pmos, w: 5, l: 1),
                "M16": DeviceSize(.pmos, w: 10, l: 1, nf: 2), "M17": DeviceSize(.pmos, w: 10, l: 1, nf: 2),
                "M3": DeviceSize(.nmos, w: 5.6, l: 1, nf: 2), "M4": DeviceSize(.nmos, w: 5.6, l: 1, nf: 2),
                "M5": DeviceSize(.nmos, w: 5.6, l: 1, nf: 4), "M6": DeviceSize(.nmos, w: 44.8, l: 1, nf: 16),
                "M7": DeviceSize(.pmos, w: 80, l: 1, nf: 16), "M18": DeviceSize(.nmos, w: 5.6, l: 1, nf: 4),
                "M19": DeviceSize(.pmos, w: 10, l: 1, nf: 2), "M11": DeviceSize(.nmos, w: 1.4, l: 1),
            ]
            if bias == .selfBiased { d["M10"] = DeviceSize(.pmos, w: 4, l: 2) }
        }
        if bias == .selfBiased {
            d["M8"] = DeviceSize(.pmos, w: 4, l: 2); d["M9"] = DeviceSize(.pmos, w: 4, l: 2)
            // Wide M12/M13 keep the multiplier in weak inversion, where I = n·Vt·ln(K)/R2 hardly
            // depends on the corner (in strong inversion I ∝ 1/(K'·R2²) follows mobility).
            d["M12"] = DeviceSize(.nmos, w: 20, l: 2); d["M13"] = DeviceSize(.nmos, w: 80, l: 2)
        }
        return topology == .structure1
            ? Design(topology: topology, bias: bias, devices: d, ccPF: 0.44, rzKOhm: 16.3, r2KOhm: 5, ibiasUA: 9.4)
            : Design(topology: topology, bias: bias, devices: d, ccPF: 0.8, rzKOhm: 4, r2KOhm: 5, ibiasUA: 3)
    }
}

/// Number formatting for netlists: up to 6 significant digits, no exponent for everyday values.
func spiceNumber(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
    return String(printf: "%.6g", x)
}

extension Design {
    /// The challenge-format subcircuit `.subckt AMP Vinp Vinn VDD VSS Vout` with foundry device
    /// names and the full instance parameter list (junction geometry as xschem computes it, with the
    /// numbers substituted so any SPICE evaluates it).
    public func subcircuit(name: String = "AMP") -> String {
        var out = [".subckt \(name) Vinp Vinn VDD VSS Vout"]
        for c in Design.connections(topology, bias) {
            let size = c.fixed ? Design.startupSize : (devices[c.name] ?? DeviceSize(c.kind, w: 1, l: 1))
            let w = spiceNumber(size.w), l = spiceNumber(size.l), nf = String(size.nf)
            let drainFingers = "int((\(nf)+1)/2)", sourceFingers = "int((\(nf)+2)/2)"
            let perFinger = "\(w)/\(nf)"
            out.append("X\(c.name) \(c.d) \(c.g) \(c.s) \(c.b) \(size.cell) L=\(l) W=\(w) nf=\(nf)"
                + " ad='\(drainFingers) * \(perFinger) * 0.29' as='\(sourceFingers) * \(perFinger) * 0.29'"
                + " pd='2*\(drainFingers) * (\(perFinger) + 0.29)' ps='2*\(sourceFingers) * (\(perFinger) + 0.29)'"
                + " nrd='0.29 / \(w)' nrs='0.29 / \(w)' sa=0 sb=0 sd=0 mult=\(size.m) m=\(size.m)")
        }
        out.append("Rz n2 nz \(spiceNumber(rzKOhm))k")
        out.append("Cc nz Vout \(spiceNumber(ccPF))p")
        switch bias {
        case .ideal:
            // Current into the NMOS bias diode M11 (both structures).
            out.append("Ibias VDD nbias \(spiceNumber(ibiasUA))u")
        case .selfBiased:
            out.append("R2 nr VSS \(spiceNumber(r2KOhm))k")
        }
        out.append(".ends \(name)")
        return out.joined(separator: "\n")
    }
}
