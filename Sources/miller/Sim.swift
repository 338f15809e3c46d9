import ArgumentParser
import Spice

/// `miller sim DECK`: runs every analysis of a deck, prints operating points, optionally writes a raw file.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a SPICE deck (.op, .dc, .ac) and print its operating point like ngspice.")

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
        let simulator = try Simulator(deck: deck)
        let plots = try simulator.run()
        for plot in plots where plot.name.hasPrefix("op") {
            let listing = OperatingPointListing(plot: plot, title: deck.title)
            print(json ? listing.json : listing.text)
        }
        if let rawFile {
            try RawFile.write(plots, title: deck.title, to: rawFile, binary: binary)
        }
    }
}
