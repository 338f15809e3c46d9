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
        try Sim.simulate(deck: deck, rawFile: rawFile, binary: binary, json: json)
    }

    /// Runs the deck and prints as `ngspice -b` does (the body of `run`, shared with `Main`'s fast path).
    static func simulate(deck path: String, rawFile: String?, binary: Bool, json: Bool) throws {
        defer { StandardOutput.flush() }
        let deck = try Deck.load(path: path)
        // As `ngspice -b`: the control block when there is one, else every analysis then the .meas cards.
        let session = ControlSession(deck: deck, directory: directoryOf(path)) { StandardOutput.write($0) }
        try session.runBatch()
        let plots = session.plots.filter { $0.name != "const" }
        if deck.controlLines.isEmpty {
            for plot in plots where plot.name.hasPrefix("op") {
                let listing = OperatingPointListing(plot: plot, title: deck.title)
                StandardOutput.write(json ? listing.json : listing.text)
                StandardOutput.write("\n")
            }
        }
        if let rawFile {
            try RawFile.write(plots, title: deck.title, to: rawFile, binary: binary)
        }
    }

    /// The folder of the deck file, where the control block's relative output files go.
    private static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
