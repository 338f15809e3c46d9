import Foundation

/// Runs ngspice control-block commands (and `.meas` cards) against a deck, writing what ngspice would
/// print to a caller-provided sink.
///
/// ```swift
/// let session = try ControlSession(deck: deck) { print($0, terminator: "") }
/// try session.runBatch()        // the control block if the deck has one, else its analyses and .meas
/// session.measurements["gbw"]   // results, also visible to later expressions as `gbw` and `$&gbw`
/// ```
public final class ControlSession {
    public let deck: Deck
    /// Every plot made so far plus ngspice's `const` plot (first), in creation order.
    public internal(set) var plots: [Plot]
    /// Index into `plots` of the current plot (`setplot`).
    var current: Int
    /// `set name=value` variables (`set name` stores an empty string).
    public internal(set) var variables: [String: String] = [:]
    /// Results of every measurement that succeeded, by lowercased name.
    public internal(set) var measurements: [String: Double] = [:]
    /// Measurements that never triggered, in order (ngspice prints them as failed and goes on).
    public internal(set) var failedMeasurements: [ControlError] = []
    /// Where relative file names (`echo > f`, `wrdata`, `write`) resolve.
    public var directory: String
    /// Passes one `while`/`dowhile`/`repeat` loop may make before the block stops with an error: a loop
    /// that never ends is a bug in the deck, and must not hang the simulator.
    public var maximumLoopPasses = 1_000_000
    /// Set by `quit`: the rest of the block is skipped.
    public internal(set) var quitRequested = false
    let emit: (String) -> Void
    private var simulatorStorage: Simulator?

    /// `output` receives text exactly as ngspice would write it, newlines included.
    public init(deck: Deck, directory: String = ".", output: @escaping (String) -> Void) {
        self.deck = deck
        self.directory = directory
        emit = output
        plots = [Plot(name: "const", title: "Constant values", vectors: [
            Vector(name: "pi", type: .notype, values: .real([Double.pi])),
            Vector(name: "e", type: .notype, values: .real([M_E])),
            Vector(name: "c", type: .notype, values: .real([299_792_458])),
            Vector(name: "boltz", type: .notype, values: .real([1.380649e-23])),
            Vector(name: "echarge", type: .notype, values: .real([1.602176634e-19])),
            Vector(name: "planck", type: .notype, values: .real([6.62607015e-34])),
            Vector(name: "yes", type: .notype, values: .real([1])),
            Vector(name: "no", type: .notype, values: .real([0])),
            Vector(name: "true", type: .notype, values: .real([1])),
            Vector(name: "false", type: .notype, values: .real([0])),
        ])]
        current = 0
    }

    /// The current plot (`setplot`), `const` before any analysis.
    public var currentPlot: Plot { plots[current] }

    /// The simulator, elaborated on first use so decks with only vector arithmetic need no circuit.
    func simulator() throws -> Simulator {
        if let simulatorStorage { return simulatorStorage }
        let made = try Simulator(deck: deck)
        // Fitted-range warnings of pdk cards go to stderr, as ngspice prints its model warnings.
        for line in made.warnings where PDKRange.isRangeWarning(line) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        simulatorStorage = made
        return made
    }

    /// What `ngspice -b deck` does: the control block when the deck has one, else every analysis in the
    /// deck followed by its `.meas` cards.
    public func runBatch() throws {
        if deck.controlLines.isEmpty {
            for analysis in ControlSession.runOrder(deck.analyses) { try perform(analysis, location: nil) }
        } else {
            try run(deck.controlLines)
        }
    }

    /// The single dispatch point for analyses: every `run`, `op`, `dc`, `ac` (and later `tran`, `noise`)
    /// goes through here, then the deck's `.meas` cards for that analysis kind run on the new plot.
    public func perform(_ analysis: Analysis, location: SourceLocation?) throws {
        let sim = try simulator()
        let plot: Plot
        do {
            switch analysis {
            case .op: plot = try sim.operatingPoint()
            case .dc(let sweeps): plot = try sim.dcSweep(sweeps)
            case .ac(let sweep): plot = try sim.ac(sweep)
            case .tran(let step, let stop, let start, let maxStep, let uic):
                plot = try sim.transient(TransientSettings(step: step, stop: stop, start: start, maxStep: maxStep,
                                                           useInitialConditions: uic))
                if !uic { emit(ControlSession.initialSolution(sim.initialTransientPoint ?? plot)) }
                if deck.options.acct { emit(sim.transientStatistics.listing) }
            case .noise(let output, let reference, let source, let sweep, let summary):
                // The spectra plot first, then the integrated one (current afterwards, as in ngspice).
                var made = try sim.noise(output: output, reference: reference, source: source, sweep: sweep,
                                         pointsPerSummary: summary)
                plot = made.removeLast()
                for spectra in made { add(spectra) }
            }
        } catch let error as SimulationError {
            var located = error
            if located.location == nil { located.location = location }
            throw located
        }
        add(plot)
        try runDeckMeasurements(for: plot)
    }

    /// The deck's analyses in the order `run` (and `ngspice -b`) performs them: by kind (ac, dc, op, tran,
    /// noise: ngspice's analysis table order, not the deck's), and within one kind the last card first.
    /// Checked against ngspice 39: `.tran .ac .dc .op .noise` makes ac1 dc1 op1 tran1 noise1, and of two
    /// `.ac` cards the later one becomes ac1.
    public static func runOrder(_ analyses: [Analysis]) -> [Analysis] {
        func rank(_ a: Analysis) -> Int {
            switch a {
            case .ac: 0
            case .dc: 1
            case .op: 2
            case .tran: 3
            case .noise: 4
            }
        }
        return analyses.enumerated().sorted { x, y in
            rank(x.element) != rank(y.element) ? rank(x.element) < rank(y.element) : x.offset > y.offset
        }.map(\.element)
    }

    /// The table ngspice -b prints before a transient that starts from the operating point: every node
    /// voltage and branch current at the first time point, in the plot's (ngspice's node) order.
    static func initialSolution(_ plot: Plot) -> String {
        var out = "\nInitial Transient Solution\n--------------------------\n\n"
        out += ControlFormat.padded("Node", 30) + " " + String(repeating: " ", count: 8) + "Voltage\n"
        out += ControlFormat.padded("----", 30) + " " + String(repeating: " ", count: 8) + "-------\n"
        for vector in plot.vectors.dropFirst() {
            let first: Double
            switch vector.values {
            case .real(let r): guard let x = r.first else { continue }; first = x
            case .complex(let r, _): guard let x = r.first else { continue }; first = x
            }
            out += ControlFormat.padded(ControlFormat.displayName(vector.name), 30) + " " + String(format: "%15g", first) + "\n"
        }
        return out + "\n\n"
    }

    /// Adds a plot and makes it current, as an analysis does.
    public func add(_ plot: Plot) {
        plots.append(plot)
        current = plots.count - 1
    }

    /// The kind of a plot from its name (`ac2` → `ac`).
    static func kind(of plot: Plot) -> String {
        String(plot.name.prefix { $0.isLetter })
    }

    /// Stores or replaces a vector in the current plot (`let`, `compose`, measurement results).
    func store(_ vector: ControlVector, inConst: Bool = false) {
        let index = inConst ? 0 : current
        var plot = plots[index]
        let stored = vector.asVector
        if let at = plot.vectors.firstIndex(where: { $0.name.lowercased() == stored.name.lowercased() }) {
            plot.vectors[at] = stored
        } else {
            plot.vectors.append(stored)
        }
        plots[index] = plot
    }

    func recordMeasurement(_ name: String, _ value: Double) {
        measurements[name.lowercased()] = value
        store(ControlVector.scalar(value, name: name.lowercased()))
    }

    var degrees: Bool { variables["units"]?.lowercased() == "degrees" }

    /// Resolves a file name against `directory`.
    func path(_ name: String) -> String {
        name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
    }
}
