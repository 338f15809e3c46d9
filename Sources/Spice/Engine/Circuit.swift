#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deck elaborated for simulation: numbered unknowns, bound devices and the fixed sparse pattern.
///
/// Unknowns are the deck's nodes in order of first appearance, then branch currents, then device-internal
/// nodes. The sparse pattern is collected from every device once and never changes afterwards.
final class Circuit {
    let options: Options
    let elements: [Element]
    /// Per unknown: its name (node name, or the element owning the branch current) and whether it is a
    /// branch current.
    private(set) var unknownNames: [String] = []
    private(set) var isBranch: [Bool] = []
    /// Unknowns of the deck's own nodes (not device-internal ones), in order of first appearance.
    private(set) var externalNodes: [Unknown] = []
    private(set) var nodeIndex: [String: Int] = [:]
    private(set) var devices: [Device] = []
    private(set) var deviceIndex: [String: Device] = [:]
    /// Branch currents in the order ngspice creates them (its raw-file order).
    private(set) var branchOutputOrder: [(name: String, unknown: Unknown)] = []
    private(set) var nodeDiagonals: [MatrixSlot] = []
    private(set) var nonzeros = 0
    /// Transient state entries the devices reserved, and the charges the step control watches.
    private(set) var stateCount = 0
    private(set) var truncationStates: [Int] = []
    private(set) var lu: SparseLU!
    /// `.nodeset` values by unknown, held during the first Newton iteration of an operating point.
    private(set) var nodesets: [(slot: MatrixSlot, unknown: Unknown, value: Double)] = []
    /// Absolute circuit and nominal temperatures in kelvin.
    let temperature: Double
    let nominalTemperature: Double

    var size: Int { unknownNames.count }
    /// Non-fatal notes from elaboration (a model card's ignored parameters), one line each.
    var warnings: [String] = []
    /// Ground is unknown −1 (see `Unknown`).
    let ground = Unknown(index: -1)

    init(deck: Deck) throws {
        options = deck.options
        elements = deck.elements
        temperature = deck.options.temp + Physics.kelvinOffset
        nominalTemperature = deck.options.tnom + Physics.kelvinOffset
        for element in deck.elements {
            for node in element.nodes where node != "0" && nodeIndex[node] == nil {
                nodeIndex[node] = unknownNames.count
                externalNodes.append(Unknown(index: unknownNames.count))
                unknownNames.append(node); isBranch.append(false)
            }
        }
        // Branch unknowns first (F and H refer to them by name), then every device in netlist order.
        var branches: [String: Unknown] = [:]
        for element in deck.elements {
            switch element.kind {
            case .voltageSource, .inductor, .vcvs, .ccvs:
                branches[element.name] = newUnknown(element.name, branch: true)
            default: break
            }
        }
        for element in deck.elements {
            let expected = Circuit.terminalCount(element.kind)
            guard element.nodes.count == expected else {
                throw SimulationError(.badValue, "element '\(element.name)' needs \(expected) nodes, has \(element.nodes.count)",
                                      subject: element.name, location: element.location)
            }
            let device = try makeDevice(element, deck: deck, branches: branches)
            guard deviceIndex[element.name] == nil else {
                throw SimulationError(.badValue, "element '\(element.name)' is defined twice",
                                      subject: element.name, location: element.location)
            }
            deviceIndex[element.name] = device
            devices.append(device)
        }
        guard size > 0 else { throw SimulationError(.badValue, "the circuit has no nodes besides ground") }
        branchOutputOrder = Circuit.ngspiceBranchOrder(deck.elements, branches: branches)
        try bindPattern(deck)
    }

    /// Allocates a new unknown (a device-internal node or a branch current).
    func newUnknown(_ name: String, branch: Bool) -> Unknown {
        unknownNames.append(name); isBranch.append(branch)
        return Unknown(index: unknownNames.count - 1)
    }

    func unknown(_ node: String) -> Unknown {
        node == "0" ? ground : Unknown(index: nodeIndex[node]!)
    }

    private static func terminalCount(_ kind: Element.Kind) -> Int {
        switch kind {
        case .vcvs, .vccs, .mosfet: 4
        default: 2
        }
    }

    private func makeDevice(_ e: Element, deck: Deck, branches: [String: Unknown]) throws -> Device {
        let nodes = e.nodes.map(unknown)
        func positive(_ value: Double, _ what: String) throws {
            guard value.isFinite, value != 0 else {
                throw SimulationError(.badValue, "\(what) of '\(e.name)' must be nonzero and finite, got \(value)",
                                      subject: e.name, location: e.location)
            }
        }
        func control(_ name: String) throws -> Unknown {
            guard let u = branches[name] else {
                throw SimulationError(.unknownName, "'\(e.name)' is controlled by '\(name)', which is not a voltage source",
                                      subject: e.name, location: e.location)
            }
            return u
        }
        switch e.kind {
        case .resistor(let r):
            try positive(r, "resistance")
            return Resistor(name: e.name, a: nodes[0], b: nodes[1], resistance: r, location: e.location)
        case .capacitor(let c, let ic):
            return Capacitor(name: e.name, a: nodes[0], b: nodes[1], capacitance: c, initialVoltage: ic,
                             location: e.location)
        case .inductor(let l, let ic):
            return Inductor(name: e.name, a: nodes[0], b: nodes[1], branch: branches[e.name]!, inductance: l,
                            initialCurrent: ic, location: e.location)
        case .voltageSource(let s):
            return VoltageSource(name: e.name, a: nodes[0], b: nodes[1], branch: branches[e.name]!, source: s,
                                 location: e.location)
        case .currentSource(let s):
            return CurrentSource(name: e.name, a: nodes[0], b: nodes[1], source: s, location: e.location)
        case .vcvs(let gain):
            return VCVS(name: e.name, nodes: nodes, branch: branches[e.name]!, gain: gain, location: e.location)
        case .vccs(let gm):
            return VCCS(name: e.name, nodes: nodes, transconductance: gm, location: e.location)
        case .cccs(let gain, let c):
            return CCCS(name: e.name, a: nodes[0], b: nodes[1], control: try control(c), gain: gain, location: e.location)
        case .ccvs(let r, let c):
            return CCVS(name: e.name, a: nodes[0], b: nodes[1], branch: branches[e.name]!, control: try control(c),
                        transresistance: r, location: e.location)
        case .diode(let model, let area, let off):
            let card = try Circuit.model(model, types: ["d"], for: e, in: deck)
            return try Diode(name: e.name, anode: nodes[0], cathode: nodes[1], model: DiodeModel(card: card),
                             area: area, off: off, circuit: self, location: e.location)
        case .mosfet(let model, let instance):
            if deck.models[model.lowercased()] == nil, let card = try Circuit.binnedCard(model, for: e, instance: instance, in: deck) {
                return try makeBSIMLite(e, nodes: nodes, card: card, instance: instance)
            }
            let card = try Circuit.model(model, types: ["nmos", "pmos"], for: e, in: deck)
            if card.level == 8 || card.level == 49 {
                return try makeBSIMLite(e, nodes: nodes, card: card, instance: instance)
            }
            guard card.level == 1 else {
                throw SimulationError(.unsupported, "model '\(card.name)' is level \(card.level); supported MOSFET levels are 1, 8 and 49 (BSIM3v3.3)",
                                      subject: e.name, location: card.location)
            }
            return try MOS1(name: e.name, nodes: nodes, model: MOS1Model(card: card, circuit: self),
                            instance: instance, circuit: self, location: e.location)
        }
    }

    private static func model(_ name: String, types: Set<String>, for e: Element, in deck: Deck) throws -> ModelCard {
        guard let card = deck.models[name.lowercased()] else {
            throw SimulationError(.badModel, "model '\(name)' of '\(e.name)' is not defined", subject: e.name, location: e.location)
        }
        guard types.contains(card.type.lowercased()) else {
            throw SimulationError(.badModel, "model '\(name)' of '\(e.name)' has type '\(card.type)', expected \(types.sorted().joined(separator: " or "))",
                                  subject: e.name, location: card.location)
        }
        return card
    }

    /// ngspice creates branch currents device type by type (cccs, ccvs, ind, vcvs, vsrc), each type's
    /// instances in reverse netlist order, and a controlled source creates its controlling branch on demand.
    private static func ngspiceBranchOrder(_ elements: [Element], branches: [String: Unknown]) -> [(name: String, unknown: Unknown)] {
        var order: [(name: String, unknown: Unknown)] = []
        var seen: Set<String> = []
        func add(_ name: String) {
            guard let u = branches[name], !seen.contains(name) else { return }
            seen.insert(name); order.append((name, u))
        }
        let reversed = elements.reversed()
        for e in reversed { if case .cccs(_, let c) = e.kind { add(c) } }
        for e in reversed { if case .ccvs(_, let c) = e.kind { add(e.name); add(c) } }
        for e in reversed { if case .inductor = e.kind { add(e.name) } }
        for e in reversed { if case .vcvs = e.kind { add(e.name) } }
        for e in reversed { if case .voltageSource = e.kind { add(e.name) } }
        return order
    }

    private func bindPattern(_ deck: Deck) throws {
        let binder = SlotBinder(size: size)
        for pass in 0..<2 {
            for device in devices { device.bind(binder) }
            nodeDiagonals = (0..<size).filter { !isBranch[$0] }.map { binder.slot(Unknown(index: $0), Unknown(index: $0)) }
            nodesets = deck.nodesets.sorted { $0.key < $1.key }.compactMap { name, value in
                guard let i = nodeIndex[name.lowercased()] else { return nil }
                let u = Unknown(index: i)
                return (binder.slot(u, u), u, value)
            }
            if pass == 0 { binder.finishCollecting() }
        }
        nonzeros = binder.nonzeros
        stateCount = binder.stateCount
        truncationStates = binder.truncationStates
        do {
            lu = try SparseLU(size: size, columnStarts: binder.columnStarts, rowIndices: binder.rowIndices)
        } catch {
            throw SimulationError(.singularMatrix, "the circuit matrix could not be analysed (KLU: \(error))")
        }
    }

    /// A readable name for an unknown: `node 'x'` or `branch current of 'v1'`.
    func describe(_ index: Int) -> String {
        guard index >= 0, index < size else { return "ground" }
        return isBranch[index] ? "the branch current of '\(unknownNames[index])'" : "node '\(unknownNames[index])'"
    }
}

/// Physical constants as ngspice 39 defines them (`const.h`).
enum Physics {
    static let boltzmann = 1.38064852e-23
    static let charge = 1.6021766208e-19
    static let kelvinOffset = 273.15
    static let kOverQ = boltzmann / charge
    /// Permittivity of free space and silicon dioxide, F/m.
    static let epsilon0 = 8.854214871e-12
    static let epsilonOxide = 3.9 * epsilon0
    static let epsilonSilicon = 11.7 * epsilon0
}
