/// A linear resistor.
final class Resistor: SweepableSource {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown
    private(set) var conductance: Double
    private var slots: PairSlots!
    var sweepKind: SweepKind { .resistance }
    /// The resistance, for `.dc` sweeps over a resistor.
    var dcValue: Double {
        get { 1 / conductance }
        set { conductance = 1 / newValue }
    }

    init(name: String, a: Unknown, b: Unknown, resistance: Double, location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.location = location
        self.conductance = 1 / resistance
    }

    func bind(_ binder: SlotBinder) { slots = binder.pair(a, b) }

    func load(_ context: inout LoadContext) { context.conductance(conductance, between: slots) }
    var isLinear: Bool { true }

    func parameter(_ name: String) -> Double? {
        switch name {
        case "r", "resistance": 1 / conductance
        case "g": conductance
        default: nil
        }
    }
}

/// A linear capacitor: open in DC, `capacitance` in its reactive load, charge C·v in a transient.
final class Capacitor: Device {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown
    let capacitance: Double
    /// `IC=`: the voltage a `UIC` transient starts from.
    let initialVoltage: Double?
    private var slots: PairSlots!
    private var state = 0

    init(name: String, a: Unknown, b: Unknown, capacitance: Double, initialVoltage: Double? = nil,
         location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.capacitance = capacitance
        self.initialVoltage = initialVoltage; self.location = location
    }

    func bind(_ binder: SlotBinder) {
        slots = binder.pair(a, b)
        state = binder.charges(1)
    }

    func load(_ context: inout LoadContext) {
        guard let t = context.transient else { return }
        var v = context.voltage(a, b)
        if t.initialConditionLoad, let ic = initialVoltage { v = ic }
        t.present[state] = capacitance * v
        guard t.integrating else { return }
        let i = t.integrate(state)
        let g = t.ag0 * capacitance
        context.conductance(g, between: slots)
        context.current(i - g * v, from: a, to: b)
    }

    var isLinear: Bool { true }

    func storeCharges(_ context: LoadContext) {
        guard let t = context.transient, t.integrating else { return }
        t.present[state] = capacitance * context.voltage(a, b)
        _ = t.integrate(state)
    }

    func loadReactive(_ context: ReactiveContext) { context.capacitance(capacitance, between: slots) }
    func parameter(_ name: String) -> Double? { name == "c" || name == "capacitance" ? capacitance : nil }
}

/// A linear inductor: a short in DC with its own branch current; its flux L·i enters the branch equation.
final class Inductor: BranchDevice {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, branch: Unknown
    let inductance: Double
    /// `IC=`: the current a `UIC` transient starts from.
    let initialCurrent: Double?
    private var ak: MatrixSlot!, bk: MatrixSlot!, ka: MatrixSlot!, kb: MatrixSlot!, kk: MatrixSlot!
    private var state = 0

    init(name: String, a: Unknown, b: Unknown, branch: Unknown, inductance: Double, initialCurrent: Double? = nil,
         location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.branch = branch
        self.inductance = inductance; self.initialCurrent = initialCurrent; self.location = location
    }

    func bind(_ binder: SlotBinder) {
        ak = binder.slot(a, branch); bk = binder.slot(b, branch)
        ka = binder.slot(branch, a); kb = binder.slot(branch, b); kk = binder.slot(branch, branch)
        state = binder.charges(1)
    }

    func load(_ context: inout LoadContext) {
        context.add(1, at: ak); context.add(-1, at: bk)
        context.add(1, at: ka); context.add(-1, at: kb)
        guard let t = context.transient else { return }
        // The flux L·i; its derivative enters the branch equation v(a) − v(b) − req·i = veq.
        var i = context.voltage(branch)
        if t.initialConditionLoad, let ic = initialCurrent { i = ic }
        t.present[state] = inductance * i
        guard t.integrating else { return }
        let v = t.integrate(state)
        let req = t.ag0 * inductance
        context.add(-req, at: kk)
        context.source(v - req * i, at: branch)
    }

    var isLinear: Bool { true }

    func storeCharges(_ context: LoadContext) {
        guard let t = context.transient, t.integrating else { return }
        t.present[state] = inductance * context.voltage(branch)
        _ = t.integrate(state)
    }

    func loadReactive(_ context: ReactiveContext) { context.add(-inductance, at: kk) }
    func parameter(_ name: String) -> Double? { name == "l" || name == "inductance" ? inductance : nil }
}
