/// An independent voltage source: a branch equation v(a) − v(b) = dc; its current flows from `a` through
/// the source to `b` (ngspice's sign).
final class VoltageSource: BranchDevice, SweepableSource {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, branch: Unknown
    var dcValue: Double
    let acMagnitude: Double, acPhase: Double
    var sweepKind: SweepKind { .voltage }
    let waveform: Waveform?
    var resolvedWaveform: SourceWaveform?
    private var ak: MatrixSlot!, bk: MatrixSlot!, ka: MatrixSlot!, kb: MatrixSlot!

    init(name: String, a: Unknown, b: Unknown, branch: Unknown, source: Source, location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.branch = branch; self.location = location
        dcValue = source.dc; acMagnitude = source.acMagnitude; acPhase = source.acPhase
        waveform = source.waveform
    }

    func bind(_ binder: SlotBinder) {
        ak = binder.slot(a, branch); bk = binder.slot(b, branch)
        ka = binder.slot(branch, a); kb = binder.slot(branch, b)
    }

    func load(_ context: inout LoadContext) {
        context.add(1, at: ak); context.add(-1, at: bk)
        context.add(1, at: ka); context.add(-1, at: kb)
        context.source(value(context) * context.sourceFactor, at: branch)
    }

    /// The dc value, or in a transient (its operating point included) the waveform at the present time.
    @inline(__always) private func value(_ context: LoadContext) -> Double {
        if let t = context.transient, let w = resolvedWaveform { return w.value(at: t.time) }
        return dcValue
    }

    func loadACSources(_ context: ACSourceContext) {
        if acMagnitude != 0 { context.add(magnitude: acMagnitude, phaseDegrees: acPhase, at: branch) }
    }

    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "dc" ? dcValue : nil }
}

/// An independent current source pushing `dc` from `a` through itself into `b`.
final class CurrentSource: SweepableSource {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown
    var dcValue: Double
    let acMagnitude: Double, acPhase: Double
    var sweepKind: SweepKind { .current }
    let waveform: Waveform?
    var resolvedWaveform: SourceWaveform?

    init(name: String, a: Unknown, b: Unknown, source: Source, location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.location = location
        dcValue = source.dc; acMagnitude = source.acMagnitude; acPhase = source.acPhase
        waveform = source.waveform
    }

    func bind(_ binder: SlotBinder) {}

    func load(_ context: inout LoadContext) {
        context.current(value(context) * context.sourceFactor, from: a, to: b)
    }

    @inline(__always) private func value(_ context: LoadContext) -> Double {
        if let t = context.transient, let w = resolvedWaveform { return w.value(at: t.time) }
        return dcValue
    }

    func loadACSources(_ context: ACSourceContext) {
        guard acMagnitude != 0 else { return }
        context.add(magnitude: acMagnitude, phaseDegrees: acPhase, at: a, sign: -1)
        context.add(magnitude: acMagnitude, phaseDegrees: acPhase, at: b)
    }

    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "dc" ? dcValue : nil }
}
