/// What a sizing run must achieve: process, topology, corners, operating conditions, constraints,
/// objective, an optional extra target, sizing limits and budget, as read from a TOML spec file.
///
/// Units are the ones the keys name: volts, picofarads, °C, µm, kΩ, µA, seconds.
public struct SizingSpec: Sendable, Equatable {
    public var process: ProcessNode
    public var topology: Topology
    public var corners: [Corner]
    public var vdd: Double
    public var vcm: Double
    public var clPF: Double
    public var temperature: Double
    /// Bounds per metric; metrics absent here are measured and reported but not constrained.
    public var constraints: [Metric: Bound]
    public var objective: Objective
    public var target: Target?
    public var limits: SizingLimits
    public var budget: Budget

    public init(process: ProcessNode = .sky130, topology: Topology = .structure1, corners: [Corner] = Corner.allCases,
                vdd: Double = 1.8, vcm: Double = 0.9, clPF: Double = 2, temperature: Double = 27,
                constraints: [Metric: Bound] = [:], objective: Objective = .fom, target: Target? = nil,
                limits: SizingLimits = SizingLimits(), budget: Budget = Budget()) {
        self.process = process; self.topology = topology; self.corners = corners; self.vdd = vdd
        self.vcm = vcm; self.clPF = clPF; self.temperature = temperature; self.constraints = constraints
        self.objective = objective; self.target = target; self.limits = limits; self.budget = budget
    }
}

/// The fabrication process whose models the run uses.
public enum ProcessNode: String, Sendable, CaseIterable, Codable { case sky130 }

/// The op-amp structure being sized.
public enum Topology: String, Sendable, CaseIterable, Codable {
    /// Two-stage Miller op-amp, NMOS input pair, Cc + Rz, self-biased reference (the challenge's Structure I).
    case structure1
    /// Two-stage Miller op-amp with a current-mirror (symmetrical OTA) first stage, NMOS input pair and
    /// 1:2 PMOS mirrors, an NMOS common-source second stage with a PMOS current source, Cc + Rz, and the
    /// same self-biased reference. (A PMOS input pair cannot work at VCM = 0.9 V on sky130's 01v8 PMOS:
    /// it needs |Vgs| ≈ 0.9 V, leaving its tail no headroom.)
    case structure2
}

/// A process corner of the sky130 model library (`.lib ... tt`).
public enum Corner: String, Sendable, CaseIterable, Codable, Comparable {
    case tt, ff, ss, fs, sf
    public static func < (a: Corner, b: Corner) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A measured op-amp figure, named as in spec files.
public enum Metric: String, Sendable, CaseIterable, Codable, Comparable {
    case gainDB = "gain_db"
    case gbwMHz = "gbw_mhz"
    case pmDeg = "pm_deg"
    case srVPerUs = "sr_v_per_us"
    case idcUA = "idc_ua"
    case cmrrDB = "cmrr_db"
    case psrrDB = "psrr_db"
    case noiseUVPerRtHz = "noise_uv_per_rthz"

    public static func < (a: Metric, b: Metric) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Whether a larger value is better (false for current and noise).
    public var higherIsBetter: Bool { !(self == .idcUA || self == .noiseUVPerRtHz) }
}

/// A closed interval with either end optional.
public struct Bound: Sendable, Equatable, Codable {
    public var min: Double?
    public var max: Double?
    public init(min: Double? = nil, max: Double? = nil) { self.min = min; self.max = max }

    public func contains(_ x: Double) -> Bool {
        if let min, x < min { return false }
        if let max, x > max { return false }
        return true
    }
}

/// A closed interval with both ends given.
public struct Interval: Sendable, Equatable, Codable {
    public var min: Double
    public var max: Double
    public init(_ min: Double, _ max: Double) { self.min = min; self.max = max }
    public func clamp(_ x: Double) -> Double { Swift.min(Swift.max(x, min), max) }
    public func contains(_ x: Double) -> Bool { x >= min && x <= max }
}

/// What to optimise once every constraint holds.
public enum Objective: String, Sendable, CaseIterable, Codable {
    /// FoM = GBW[MHz]·CL[pF]/P[mW], P = Idc·VDD, worst-corner GBW and Idc.
    case fom
    /// Stop as soon as every constraint holds.
    case none
}

/// An extra goal: land one metric on `value` within `tolerance` (a fraction, 0.05 = ±5 %).
public struct Target: Sendable, Equatable, Codable {
    public var metric: Metric
    public var value: Double
    public var tolerance: Double
    public init(metric: Metric, value: Double, tolerance: Double = 0.05) {
        self.metric = metric; self.value = value; self.tolerance = tolerance
    }
    public func isMet(by x: Double) -> Bool { abs(x - value) <= abs(value) * tolerance }
}

/// The ranges every sizing knob is kept within.
public struct SizingLimits: Sendable, Equatable, Codable {
    /// Channel length, µm.
    public var lUM = Interval(0.15, 8)
    /// Width per finger, µm.
    public var wUM = Interval(0.42, 100)
    public var fingers = Interval(1, 16)
    /// Device multiplier `m`.
    public var multiplier = Interval(1, 64)
    public var ccPF = Interval(0.05, 10)
    public var rzKOhm = Interval(0.1, 200)
    public var r2KOhm = Interval(0.5, 500)
    public var ibiasUA = Interval(0.5, 200)
    public init() {}
}

/// How much work a run may do.
public struct Budget: Sendable, Equatable, Codable {
    public var iterations = 30
    public var wallSeconds = 30.0
    public init(iterations: Int = 30, wallSeconds: Double = 30) { self.iterations = iterations; self.wallSeconds = wallSeconds }
}
