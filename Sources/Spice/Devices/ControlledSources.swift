/// E: a voltage-controlled voltage source, v(a) − v(b) = gain·(v(p) − v(n)), with a branch current.
final class VCVS: BranchDevice {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, p: Unknown, n: Unknown, branch: Unknown
    let gain: Double
    private var ak: MatrixSlot!, bk: MatrixSlot!, ka: MatrixSlot!, kb: MatrixSlot!
    private var kp: MatrixSlot!, kn: MatrixSlot!

    init(name: String, nodes: [Unknown], branch: Unknown, gain: Double, location: SourceLocation) {
        self.name = name; a = nodes[0]; b = nodes[1]; p = nodes[2]; n = nodes[3]
        self.branch = branch; self.gain = gain; self.location = location
    }

    func bind(_ binder: SlotBinder) {
        ak = binder.slot(a, branch); bk = binder.slot(b, branch)
        ka = binder.slot(branch, a); kb = binder.slot(branch, b)
        kp = binder.slot(branch, p); kn = binder.slot(branch, n)
    }

    func load(_ context: inout LoadContext) {
        context.add(1, at: ak); context.add(-1, at: bk)
        context.add(1, at: ka); context.add(-1, at: kb)
        context.add(-gain, at: kp); context.add(gain, at: kn)
    }
    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "gain" ? gain : nil }
}

/// G: a voltage-controlled current source, gm·(v(p) − v(n)) flowing from `a` through it into `b`.
final class VCCS: Device {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, p: Unknown, n: Unknown
    let transconductance: Double
    private var slots: QuadSlots!

    init(name: String, nodes: [Unknown], transconductance: Double, location: SourceLocation) {
        self.name = name; a = nodes[0]; b = nodes[1]; p = nodes[2]; n = nodes[3]
        self.transconductance = transconductance; self.location = location
    }

    func bind(_ binder: SlotBinder) { slots = binder.quad(control: (p, n), output: (a, b)) }
    func load(_ context: inout LoadContext) { context.transconductance(transconductance, slots) }
    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "gm" || name == "gain" ? transconductance : nil }
}

/// F: a current-controlled current source, gain·i(control) flowing from `a` through it into `b`.
final class CCCS: Device {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, control: Unknown
    let gain: Double
    private var ac: MatrixSlot!, bc: MatrixSlot!

    init(name: String, a: Unknown, b: Unknown, control: Unknown, gain: Double, location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.control = control; self.gain = gain
        self.location = location
    }

    func bind(_ binder: SlotBinder) { ac = binder.slot(a, control); bc = binder.slot(b, control) }
    func load(_ context: inout LoadContext) { context.add(gain, at: ac); context.add(-gain, at: bc) }
    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "gain" ? gain : nil }
}

/// H: a current-controlled voltage source, v(a) − v(b) = r·i(control), with its own branch current.
final class CCVS: BranchDevice {
    let name: String
    let location: SourceLocation
    let a: Unknown, b: Unknown, branch: Unknown, control: Unknown
    let transresistance: Double
    private var ak: MatrixSlot!, bk: MatrixSlot!, ka: MatrixSlot!, kb: MatrixSlot!, kc: MatrixSlot!

    init(name: String, a: Unknown, b: Unknown, branch: Unknown, control: Unknown, transresistance: Double,
         location: SourceLocation) {
        self.name = name; self.a = a; self.b = b; self.branch = branch; self.control = control
        self.transresistance = transresistance; self.location = location
    }

    func bind(_ binder: SlotBinder) {
        ak = binder.slot(a, branch); bk = binder.slot(b, branch)
        ka = binder.slot(branch, a); kb = binder.slot(branch, b); kc = binder.slot(branch, control)
    }

    func load(_ context: inout LoadContext) {
        context.add(1, at: ak); context.add(-1, at: bk)
        context.add(1, at: ka); context.add(-1, at: kb)
        context.add(-transresistance, at: kc)
    }
    var isLinear: Bool { true }
    func parameter(_ name: String) -> Double? { name == "gain" ? transresistance : nil }
}
