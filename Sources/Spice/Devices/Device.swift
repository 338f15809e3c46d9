/// One circuit element as the analyses see it: phases as methods, bound once, loaded many times.
///
/// Elaboration builds each device with its unknowns; `bind` asks the binder for the matrix slots it will
/// add through (called twice: once to collect the pattern, once to resolve positions); `load` adds the
/// linearized DC currents and conductances at the present iterate; `loadReactive` adds dq/dv at the
/// operating point (AC now, transient later); `converged` is the device's own current test.
protocol Device: AnyObject {
    var name: String { get }
    var location: SourceLocation { get }
    func bind(_ binder: SlotBinder)
    func load(_ context: inout LoadContext)
    func loadReactive(_ context: ReactiveContext)
    func loadACSources(_ context: ACSourceContext)
    func converged(_ context: LoadContext) -> Bool
    /// An operating-point quantity by ngspice's name (`gm`, `id`, `vth`...), nil when unknown.
    func parameter(_ name: String) -> Double?
    /// The device's noise generators at `frequency` and `temperature` (kelvin), at the operating point, in
    /// ngspice's order (see `Device+Noise.swift`; default: none).
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator]
    /// True when the device's currents are linear in the unknowns (R, C, L, sources, E/F/G/H): a circuit
    /// of such devices needs one solve per time point and keeps its matrix while the step stays.
    var isLinear: Bool { get }
    /// Stores the device's charges, and integrates them, at the present solution without loading the
    /// matrix (a linear circuit's time point after its one solve); only linear reactive devices need it.
    func storeCharges(_ context: LoadContext)
}

extension Device {
    func loadReactive(_ context: ReactiveContext) {}
    func loadACSources(_ context: ACSourceContext) {}
    func converged(_ context: LoadContext) -> Bool { true }
    func parameter(_ name: String) -> Double? { nil }
    var isLinear: Bool { false }
    func storeCharges(_ context: LoadContext) {}
}

/// A device with a branch-current unknown (V, L, E, H) that F and H elements can refer to.
protocol BranchDevice: Device {
    var branch: Unknown { get }
}

/// What a DC sweep varies on an element (ngspice names the scale after it).
enum SweepKind { case voltage, current, resistance }

/// An element whose value a DC sweep replaces: an independent source's dc value or a resistance.
protocol SweepableSource: Device {
    var dcValue: Double { get set }
    var sweepKind: SweepKind { get }
}
