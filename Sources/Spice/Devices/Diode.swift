/// Placeholder until the diode lands.
struct DiodeModel { init(card: ModelCard) throws { throw SimulationError(.unsupported, "diodes not yet") } }
final class Diode: Device {
    let name: String = ""; let location = SourceLocation(file: "", line: 0)
    init(name: String, anode: Unknown, cathode: Unknown, model: DiodeModel, area: Double, off: Bool, circuit: Circuit, location: SourceLocation) throws {}
    func bind(_ binder: SlotBinder) {}
    func load(_ context: inout LoadContext) {}
}
struct MOS1Model { init(card: ModelCard, circuit: Circuit) throws { throw SimulationError(.unsupported, "mos not yet") } }
final class MOS1: Device {
    let name: String = ""; let location = SourceLocation(file: "", line: 0)
    init(name: String, nodes: [Unknown], model: MOS1Model, instance: MOSInstance, circuit: Circuit, location: SourceLocation) throws {}
    func bind(_ binder: SlotBinder) {}
    func load(_ context: inout LoadContext) {}
}
