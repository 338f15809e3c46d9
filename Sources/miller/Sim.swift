import ArgumentParser
import Spice

/// `miller sim DECK`: runs every analysis of a deck, prints operating points, optionally writes a raw file.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate a SPICE deck (.op, .dc, .ac, .meas, .control) and print what ngspice -b prints.")

    @Argument(help: "The netlist to simulate.")
    var deck: String

    @Option(name: .customShort("r"), help: "Write every analysis to this ngspice raw file.")
    var rawFile: String?

    @Flag(help: "Write the raw file in binary rather than ascii.")
    var binary = false

    @Flag(help: "Print operating points as JSON.")
    var json = false

    func run() throws {
        let deck = try Deck.load(path: deck)
        // As `ngspice -b`: the control block when there is one, else every analysis then the .meas cards.
        let session = ControlSession(deck: deck, directory: directoryOf(self.deck)) { print($0, terminator: "") }
        try session.runBatch()
        let plots = session.plots.filter { $0.name != "const" }
        if deck.controlLines.isEmpty {
            for plot in plots where plot.name.hasPrefix("op") {
                let listing = OperatingPointListing(plot: plot, title: deck.title)
                print(json ? listing.json : listing.text)
            }
        }
        if let rawFile {
            try RawFile.write(plots, title: deck.title, to: rawFile, binary: binary)
        }
    }

    /// The folder of the deck file, where the control block's relative output files go.
    private func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
