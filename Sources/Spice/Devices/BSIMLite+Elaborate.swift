import Foundation

extension Circuit {
    /// Builds a BSIM-lite instance for a `level=8`/`level=49` card; the card's ignored parameters become one
    /// warning per card, and an instance outside the card's LMIN–LMAX/WMIN–WMAX range is an error.
    func makeBSIMLite(_ e: Element, nodes: [Unknown], card: ModelCard, instance: MOSInstance) throws -> Device {
        let model = try BSIMLiteModel(card: card, nominalTemperature: nominalTemperature)
        if !model.ignored.isEmpty {
            let line = "\(card.location): warning: BSIM model '\(card.name)' ignores unsupported parameters: "
                + model.ignored.joined(separator: " ")
            if !warnings.contains(line) { warnings.append(line) }
        }
        let l = instance.l ?? 5e-6, w = instance.w ?? 5e-6
        if card.parameters["lmin"] != nil || card.parameters["lmax"] != nil
            || card.parameters["wmin"] != nil || card.parameters["wmax"] != nil, !model.covers(l: l, w: w) {
            throw SimulationError(.badModel, "MOSFET '\(e.name)': L=\(l) W=\(w) is outside the range of BSIM model '\(card.name)' "
                                  + "(LMIN=\(model.lmin) LMAX=\(model.lmax) WMIN=\(model.wmin) WMAX=\(model.wmax))",
                                  subject: e.name, location: e.location)
        }
        return try BSIMLite(name: e.name, nodes: nodes, model: model, instance: instance, circuit: self, location: e.location)
    }
}
