/// What the netlist front end hands to the simulator: a flat, fully evaluated circuit description.
///
/// The parser reads text into cards with locations; elaboration expands subcircuits, evaluates every
/// parameter expression and resolves `.lib`/`.include`, producing a `Deck`. Analyses never see text.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public var description: String { "\(file):\(line)" }
}

/// A deck after elaboration: every element flat, every value a number.
public struct Deck: Sendable {
    public var title: String
    /// Flattened elements in netlist order (subcircuit contents where the instance stood).
    public var elements: [Element]
    /// Model cards by lowercased name as written (`nch`, or `nch.1`, `nch.2` for binned sets).
    public var models: [String: ModelCard]
    /// Analyses in the order the deck lists them (dot cards only; the control block is kept raw).
    public var analyses: [Analysis]
    public var options: Options
    /// `.ic v(node)=value`, flattened node name to volts.
    public var initialConditions: [String: Double]
    /// `.nodeset v(node)=value`.
    public var nodesets: [String: Double]
    /// `.meas` cards, unparsed past their keyword (for the measurement code).
    public var measurements: [Card]
    /// Lines between `.control` and `.endc`, with locations, for the control-block interpreter.
    public var controlLines: [Card]
    /// `.save`, `.print`, `.plot`, `.probe`, `.four` and `.width` cards (lowercased, keyword included);
    /// they choose what is printed or kept, never what is computed.
    public var outputCards: [Card] = []
    /// What ngspice accepts with a warning, as `file:line: message`: a redefined `.subckt` or `.model`
    /// (the first definition wins, as in ngspice 39).
    public var warnings: [String] = []

    public init(title: String, elements: [Element] = [], models: [String: ModelCard] = [:],
                analyses: [Analysis] = [], options: Options = Options(),
                initialConditions: [String: Double] = [:], nodesets: [String: Double] = [:],
                measurements: [Card] = [], controlLines: [Card] = []) {
        self.title = title; self.elements = elements; self.models = models
        self.analyses = analyses; self.options = options
        self.initialConditions = initialConditions; self.nodesets = nodesets
        self.measurements = measurements; self.controlLines = controlLines
    }
}

/// One logical line of input (continuations joined), with where it started.
public struct Card: Sendable {
    public var text: String
    public var location: SourceLocation
    public init(text: String, location: SourceLocation) { self.text = text; self.location = location }
}

/// One flattened circuit element.
///
/// Names and nodes are lowercased and follow ngspice's flattening: an element `m1` inside instance
/// `xi1` becomes `m.xi1.m1`; its internal node `net2` becomes `xi1.net2`. Ground is `"0"` (`gnd` is
/// mapped to `"0"` by the front end).
public struct Element: Sendable {
    public var name: String
    public var nodes: [String]
    public var kind: Kind
    public var location: SourceLocation

    public init(name: String, nodes: [String], kind: Kind, location: SourceLocation) {
        self.name = name; self.nodes = nodes; self.kind = kind; self.location = location
    }

    public enum Kind: Sendable {
        /// nodes: n+ n-
        case resistor(resistance: Double)
        /// nodes: n+ n-
        case capacitor(capacitance: Double, initialVoltage: Double?)
        /// nodes: n+ n-
        case inductor(inductance: Double, initialCurrent: Double?)
        /// nodes: n+ n-
        case voltageSource(Source)
        /// nodes: n+ n- (current flows from n+ through the source to n-)
        case currentSource(Source)
        /// E: nodes n+ n- nc+ nc-
        case vcvs(gain: Double)
        /// G: nodes n+ n- nc+ nc-
        case vccs(transconductance: Double)
        /// F: nodes n+ n-; `control` is the flattened name of the controlling voltage source.
        case cccs(gain: Double, control: String)
        /// H: nodes n+ n-; `control` is the flattened name of the controlling voltage source.
        case ccvs(transresistance: Double, control: String)
        /// D: nodes anode cathode.
        case diode(model: String, area: Double, off: Bool)
        /// M: nodes d g s b. `model` is the base name as written; binned sets are resolved by the device.
        case mosfet(model: String, instance: MOSInstance)
    }
}

/// Independent source description (V and I).
public struct Source: Sendable {
    public var dc: Double
    public var acMagnitude: Double
    /// Degrees, as written.
    public var acPhase: Double
    public var waveform: Waveform?
    public init(dc: Double = 0, acMagnitude: Double = 0, acPhase: Double = 0, waveform: Waveform? = nil) {
        self.dc = dc; self.acMagnitude = acMagnitude; self.acPhase = acPhase; self.waveform = waveform
    }
}

/// Transient waveforms with the fields as written; omitted fields are nil (ngspice's defaults depend on
/// the analysis' step and stop time, so they are filled in by the transient analysis).
public enum Waveform: Sendable {
    /// v1 v2 td tr tf pw per (np ignored)
    case pulse([Double?])
    /// vo va freq td theta phase
    case sin([Double?])
    /// (time, value) pairs; `repeatFrom` is the `r=` time if given, `delay` the `td=`.
    case pwl(points: [(time: Double, value: Double)], repeatFrom: Double?, delay: Double)
    /// v1 v2 td1 tau1 td2 tau2
    case exp([Double?])
}

/// MOSFET instance parameters, already scaled by `.options scale` where ngspice scales them.
public struct MOSInstance: Sendable {
    public var w: Double?
    public var l: Double?
    public var m: Double
    public var ad: Double?
    public var `as`: Double?
    public var pd: Double?
    public var ps: Double?
    public var nrd: Double?
    public var nrs: Double?
    public var off: Bool
    /// Other instance parameters as written, lowercased and unscaled (`nf`, `sa`, `sb`, `sd`, `mult`,
    /// `delvto`, ...): the front end accepts the BSIM instance names ngspice knows; the device decides
    /// which it honours and must reject the rest.
    public var extra: [String: Double] = [:]
    public init(w: Double? = nil, l: Double? = nil, m: Double = 1, ad: Double? = nil, as: Double? = nil,
                pd: Double? = nil, ps: Double? = nil, nrd: Double? = nil, nrs: Double? = nil, off: Bool = false) {
        self.w = w; self.l = l; self.m = m; self.ad = ad; self.as = `as`; self.pd = pd; self.ps = ps
        self.nrd = nrd; self.nrs = nrs; self.off = off
    }
}

/// A `.model` card: type (`nmos`, `pmos`, `d`, `r`, `c`, ...) and lowercased parameter names to values.
public struct ModelCard: Sendable {
    public var name: String
    public var type: String
    public var parameters: [String: Double]
    public var location: SourceLocation
    public init(name: String, type: String, parameters: [String: Double], location: SourceLocation) {
        self.name = name; self.type = type; self.parameters = parameters; self.location = location
    }
    /// `level=` as written, 1 when absent.
    public var level: Int { Int(parameters["level"] ?? 1) }
}

/// `.options` values the engine honours, with ngspice's defaults.
public struct Options: Sendable {
    public var reltol = 1e-3
    public var abstol = 1e-12
    public var vntol = 1e-6
    public var chgtol = 1e-14
    public var trtol = 7.0
    public var gmin = 1e-12
    public var itl1 = 100
    public var itl2 = 50
    public var itl4 = 10
    /// Circuit temperature and nominal temperature, °C.
    public var temp = 27.0
    public var tnom = 27.0
    public var scale = 1.0
    /// `trap` or `gear`.
    public var method = "trap"
    /// `.options acct`: print the analysis statistics (time points, iterations) after each transient.
    public var acct = false
    public init() {}
}

/// Analyses as the dot cards state them.
public enum Analysis: Sendable {
    case op
    /// `.dc`: the first sweep is the inner loop; a second, if present, is the outer loop.
    case dc([DCSweep])
    case ac(FrequencySweep)
    case tran(step: Double, stop: Double, start: Double, maxStep: Double?, uic: Bool)
    /// `.noise v(out[,ref]) src sweep [ptsPerSummary]`
    case noise(output: String, reference: String?, source: String, sweep: FrequencySweep, pointsPerSummary: Int?)
}

public struct DCSweep: Sendable {
    /// Flattened source (or resistor / `temp`) name.
    public var source: String
    public var values: [Double]
    public init(source: String, values: [Double]) { self.source = source; self.values = values }
}

public struct FrequencySweep: Sendable {
    public enum Kind: String, Sendable { case dec, oct, lin }
    public var kind: Kind
    public var points: Int
    public var start: Double
    public var stop: Double
    public init(kind: Kind, points: Int, start: Double, stop: Double) {
        self.kind = kind; self.points = points; self.start = start; self.stop = stop
    }
}
