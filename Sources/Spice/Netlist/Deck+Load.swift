/// The ngspice-dialect front end: reading, flattening and evaluating a deck.
///
/// Phases: `LineReader` joins `+` continuations, drops `*`/`;`/`$ ` comments and splices `.include` and
/// `.lib file section` in place; `StructureParser` builds the `.subckt` tree and collects dot cards;
/// `Elaborator` evaluates `.param` expressions (scoped like ngspice's numparam: instance values, then
/// subcircuit defaults and `.param` lines, then the caller's scope), flattens instances with ngspice's
/// names (`m.xi1.m1`, node `xi1.net`, local model `xi1:nch`) and evaluates the analyses.
/// Anything outside the supported subset is a `NetlistError` naming file and line.
extension Deck {
    /// Reads a deck file (title line first), resolving `.include`/`.lib` relative to the including file.
    public static func load(path: String) throws -> Deck {
        guard let data = LineReader.readFile(path) else {
            throw NetlistError("cannot read deck file '\(path)'")
        }
        let text = String(decoding: data, as: UTF8.self)
        return try parse(text, file: path, directory: LineReader.directory(of: LineReader.resolve(path, in: ".")))
    }

    /// Parses deck text; `file` names it in errors; includes resolve relative to `directory`.
    public static func parse(_ text: String, file: String = "<input>", directory: String = ".") throws -> Deck {
        let (title, lines) = try LineReader.logicalLines(text, file: file, hasTitle: true)
        var reader = LineReader()
        var expanded: [Line] = []
        expanded.reserveCapacity(lines.count)
        try reader.expand(lines, directory: directory, stack: [], into: &expanded)
        var structure = StructureParser()
        try structure.parse(expanded)
        return try Elaborator(title: title ?? "", structure: structure).run()
    }
}
