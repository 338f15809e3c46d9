/// One BSIM-lite (level 8/49) instance evaluated at given terminal biases, with no circuit to solve:
/// the drain current, its exact Jacobian and the capacitances, for model fitting and device benchmarks.
///
/// The instance is elaborated once exactly as `miller sim` would elaborate it (binned sets chosen by
/// LMIN/LMAX/WMIN/WMAX, `.options scale` not applied: W and L are in metres); `evaluate` then runs only
/// the device equations. Series resistance from RSH/NRD/NRS is not included: the values are those of the
/// intrinsic device between its internal drain and source.
public final class BSIMLiteEvaluator {
    /// The instance's quantities at one bias point, in circuit polarity and scaled by M.
    public struct Point: Sendable, Equatable {
        /// Drain current into the drain terminal (negative for a conducting PMOS), without junction current.
        public var id: Double
        /// ∂Id/∂V as ngspice's `@m[gm]`, `[gds]`, `[gmbs]` report them (positive for NMOS and PMOS).
        public var gm: Double, gds: Double, gmbs: Double
        /// Threshold and saturation voltages (device polarity: positive for both types in normal operation).
        public var vth: Double, vdsat: Double
        /// Terminal capacitances Cij = ∂Qi/∂Vj (F), intrinsic plus overlap, plus junction for `cdd`:
        /// what an AC analysis sees as Im(Yij)/ω; diagonal positive, off-diagonal normally negative.
        public var cgg: Double, cgd: Double, cgs: Double, cdg: Double, cdd: Double
        /// Intrinsic (channel-charge) Cgg only, as ngspice's `@m[cgg]`.
        public var cggIntrinsic: Double
        /// Drain– and source–bulk junction capacitances.
        public var capbd: Double, capbs: Double
    }

    public let name: String
    /// +1 for NMOS, −1 for PMOS.
    public let polarity: Double
    /// The card the instance uses (the chosen bin for a binned set).
    public let modelName: String
    /// Elaboration warnings (ignored card parameters).
    public let warnings: [String]
    let device: BSIMLite

    /// Elaborates instance `name` of model `model` (a single card or a binned set `model.1 … model.k`
    /// among `cards`) at `temperature` °C; throws the simulator's own errors for bad cards or geometry.
    public init(cards: [ModelCard], model: String, instance: MOSInstance, temperature: Double = 27,
                nominalTemperature: Double = 27, name: String = "m1") throws {
        var options = Options()
        options.temp = temperature
        options.tnom = nominalTemperature
        var models: [String: ModelCard] = [:]
        for card in cards { models[card.name.lowercased()] = card }
        let element = Element(name: name, nodes: ["d", "g", "s", "b"], kind: .mosfet(model: model, instance: instance),
                              location: SourceLocation(file: "<evaluator>", line: 1))
        let deck = Deck(title: "evaluator", elements: [element], models: models, options: options)
        let circuit = try Circuit(deck: deck)
        guard let device = circuit.devices.first as? BSIMLite else {
            throw SimulationError(.unsupported, "model '\(model)' is not a BSIM-lite (level 8/49) card", subject: name)
        }
        self.device = device
        self.name = name
        polarity = device.type
        modelName = device.model.name
        warnings = circuit.warnings
    }

    /// Convenience: one card, W and L in metres.
    public convenience init(card: ModelCard, w: Double, l: Double, m: Double = 1, temperature: Double = 27) throws {
        try self.init(cards: [card], model: card.name, instance: MOSInstance(w: w, l: l, m: m), temperature: temperature,
                      nominalTemperature: 27)
    }

    /// Id, gm, gds and gmbs at terminal biases (circuit polarity, source as reference): the DC load with its
    /// exact Jacobian and nothing else; the fast path for fitting and benchmarks.
    @inline(__always)
    public func current(vgs: Double, vds: Double, vbs: Double) -> (id: Double, gm: Double, gds: Double, gmbs: Double) {
        let t = polarity, m = device.m
        device.evaluate(vbs: t * vbs, vgs: t * vgs, vds: t * vds, gmin: 0)
        return (t * device.mode * device.cdrain * m, device.gm * m, device.gds * m, device.gmbs * m)
    }

    /// Every quantity of `Point` at terminal biases (circuit polarity, source as reference).
    public func evaluate(vgs: Double, vds: Double, vbs: Double) -> Point {
        let (id, gm, gds, gmbs) = current(vgs: vgs, vds: vds, vbs: vbs)
        let m = device.m
        let c = device.capacitances
        let ci = c.intrinsic  // physical (g, d, s, b)
        let cgg = ci[0][0] + c.cgdo + c.cgso + c.cgbo
        let cgd = ci[0][1] - c.cgdo
        let cgs = ci[0][2] - c.cgso
        let cdg = ci[1][0] - c.cgdo
        let cdd = ci[1][1] + c.cgdo + c.capbd
        return Point(id: id, gm: gm, gds: gds, gmbs: gmbs, vth: device.von, vdsat: device.vdsat,
                     cgg: m * cgg, cgd: m * cgd, cgs: m * cgs, cdg: m * cdg, cdd: m * cdd,
                     cggIntrinsic: m * c.frame[0][0], capbd: m * c.capbd, capbs: m * c.capbs)
    }
}
