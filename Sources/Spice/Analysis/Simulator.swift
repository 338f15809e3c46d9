#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a deck's analyses: elaborates once, then solves operating points, DC sweeps and AC sweeps.
///
/// ```swift
/// let sim = try Simulator(deck: deck)
/// let plots = try sim.run()              // op1, dc1, ac1, ... in deck order
/// let gm = sim.deviceParameter("m1", "gm")
/// ```
public final class Simulator {
    public let deck: Deck
    private(set) var circuit: Circuit
    private(set) var solver: Solver
    var topologyChecked = false
    private var plotCounts: [String: Int] = [:]
    /// Counts of the latest transient analysis (what ngspice's `.options acct` prints).
    public internal(set) var transientStatistics = TransientStatistics()
    /// The latest transient's initial point, every node and branch (one point, whatever `.save` keeps).
    public internal(set) var initialTransientPoint: Plot?

    /// Receives one line per convergence aid step (gmin stepping, true gmin stepping, source stepping: what
    /// ngspice prints as "Trying gmin = ...") and per failed Newton run of a transient time point, for
    /// diagnosing circuits that do not converge; nil (silent) by default.
    public var convergenceTrace: ((String) -> Void)? {
        didSet { solver.trace = convergenceTrace }
    }

    /// Elaborates the deck: numbers nodes, binds devices to their models and the sparse pattern.
    public init(deck: Deck) throws {
        self.deck = deck
        circuit = try Circuit(deck: deck)
        solver = Solver(circuit: circuit)
    }

    /// What one transient analysis took: attempted, accepted and rejected time points and Newton iterations.
    public struct TransientStatistics: Sendable, Equatable {
        public var timepoints = 0, accepted = 0, rejected = 0, iterations = 0

        /// The lines ngspice's `.options acct` prints for these figures.
        public var listing: String {
            "Transient iterations = \(iterations)\nTransient timepoints = \(timepoints)\n"
                + "Accepted timepoints = \(accepted)\nRejected timepoints = \(rejected)\n"
        }
    }

    /// Runs every analysis in deck order; plots are named per kind as ngspice does (`op1`, `dc1`, `ac1`).
    public func run() throws -> [Plot] {
        var plots: [Plot] = []
        for analysis in deck.analyses {
            switch analysis {
            case .op: plots.append(try operatingPoint())
            case .dc(let sweeps): plots.append(try dcSweep(sweeps))
            case .ac(let sweep): plots.append(try ac(sweep))
            case .tran(let step, let stop, let start, let maxStep, let uic):
                plots.append(try transient(TransientSettings(step: step, stop: stop, start: start, maxStep: maxStep,
                                                             useInitialConditions: uic)))
            case .noise(let output, let reference, let source, let sweep, let summary):
                plots += try noise(output: output, reference: reference, source: source, sweep: sweep,
                                   pointsPerSummary: summary)
            }
        }
        return plots
    }

    /// The names of the solution vectors in ngspice's order: node voltages, then branch currents.
    var outputs: [(name: String, unknown: Unknown, quantity: Vector.Quantity)] {
        circuit.externalNodes.map { ("v(\(circuit.unknownNames[$0.index]))", $0, .voltage) }
            + circuit.branchOutputOrder.map { ("i(\($0.name))", $0.unknown, .current) }
    }

    func nextPlotName(_ kind: String) -> String {
        let count = (plotCounts[kind] ?? 0) + 1
        plotCounts[kind] = count
        return "\(kind)\(count)"
    }

    /// Re-elaborates at another temperature (a `.dc temp` sweep), keeping the present solution as the
    /// next starting point and the given source values.
    func rebuild(temperature: Double, sourceValues: [String: Double]) throws {
        var changed = deck
        changed.options.temp = temperature
        let previous = Array(solver.solution)
        circuit = try Circuit(deck: changed)
        solver = Solver(circuit: circuit)
        solver.trace = convergenceTrace
        for (name, value) in sourceValues { (circuit.deviceIndex[name] as? SweepableSource)?.dcValue = value }
        if previous.count == circuit.size { solver.setSolution(previous) }
    }

    /// Solves the DC operating point from the present state (structure checked first).
    func solveOperatingPoint() throws {
        if !topologyChecked {
            try circuit.checkTopology()
            topologyChecked = true
        }
        solver.setSolution([Double](repeating: 0, count: circuit.size))
        try solver.operatingPoint()
        // One more load at the solution leaves each device's small-signal values at the operating point.
        solver.load(mode: .smallSignal, diagonalGmin: 0, sourceFactor: 1)
    }

    /// Non-fatal notes: the deck's own (`Deck.warnings`), then elaboration's, e.g. one line per BSIM model
    /// card listing the parameters it ignores.
    public var warnings: [String] { deck.warnings + circuit.warnings }

    /// An operating-point quantity of a device by ngspice's name (`@m1[gm]` is `("m1", "gm")`), from the
    /// most recent solution; nil when the device or quantity is unknown.
    public func deviceParameter(_ device: String, _ parameter: String) -> Double? {
        circuit.deviceIndex[device.lowercased()]?.parameter(parameter.lowercased())
    }

    /// The most recent solution's value of a node voltage (`"out"`) or a branch current (`"v1"` for its
    /// current), nil when no such node or branch exists.
    public func nodeVoltage(_ node: String) -> Double? {
        let key = node.lowercased()
        if key == "0" { return 0 }
        guard let i = circuit.nodeIndex[key] else { return nil }
        return solver.solution[i]
    }
}
