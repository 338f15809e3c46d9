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
    public static let matchedGroups: [[String]] = [["M1", "M2"], ["M3", "M4"]]

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
    /// Transistor connections per topology and bias mode. In both structures Vout follows Vinp
    /// (Vinp drives M2, whose drain is the first-stage output n2 feeding M6).
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
            list = [
                Connection("M1", .pmos, "n1", "Vinn", "tail", "VDD"),
                Connection("M2", .pmos, "n2", "Vinp", "tail", "VDD"),
                Connection("M3", .nmos, "n1", "n1", "VSS", "VSS"),
                Connection("M4", .nmos, "n2", "n1", "VSS", "VSS"),
                Connection("M5", .pmos, "tail", "nbias", "VDD", "VDD"),
                Connection("M6", .nmos, "Vout", "n2", "VSS", "VSS"),
                Connection("M7", .pmos, "Vout", "nbias", "VDD", "VDD"),
            ]
            if bias == .selfBiased { list.append(Connection("M10", .nmos, "nbias", "na", "VSS", "VSS")) }
            list.append(Connection("M11", .pmos, "nbias", "nbias", "VDD", "VDD"))
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
    /// Rz 16.3 kΩ); Structure II mirrored onto the other polarity with PMOS widths scaled up.
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
            d = [
                "M1": DeviceSize(.pmos, w: 30, l: 1), "M2": DeviceSize(.pmos, w: 30, l: 1),
                "M3": DeviceSize(.nmos, w: 4, l: 1), "M4": DeviceSize(.nmos, w: 4, l: 1),
                "M5": DeviceSize(.pmos, w: 16, l: 1), "M6": DeviceSize(.nmos, w: 16, l: 1),
                "M7": DeviceSize(.pmos, w: 64, l: 1), "M11": DeviceSize(.pmos, w: 16, l: 1),
            ]
            if bias == .selfBiased { d["M10"] = DeviceSize(.nmos, w: 20, l: 2) }  // mirrors M12
        }
        if bias == .selfBiased {
            d["M8"] = DeviceSize(.pmos, w: 4, l: 2); d["M9"] = DeviceSize(.pmos, w: 4, l: 2)
            // Wide M12/M13 keep the multiplier in weak inversion, where I = n·Vt·ln(K)/R2 hardly
            // depends on the corner (in strong inversion I ∝ 1/(K'·R2²) follows mobility).
            d["M12"] = DeviceSize(.nmos, w: 20, l: 2); d["M13"] = DeviceSize(.nmos, w: 80, l: 2)
        }
        return Design(topology: topology, bias: bias, devices: d, ccPF: 0.44, rzKOhm: 16.3, r2KOhm: 5, ibiasUA: 9.4)
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
            // Current into the NMOS bias diode (Structure I) or out of the PMOS one (Structure II).
            out.append(topology == .structure1 ? "Ibias VDD nbias \(spiceNumber(ibiasUA))u"
                                               : "Ibias nbias VSS \(spiceNumber(ibiasUA))u")
        case .selfBiased:
            out.append("R2 nr VSS \(spiceNumber(r2KOhm))k")
        }
        out.append(".ends \(name)")
        return out.joined(separator: "\n")
    }
}
