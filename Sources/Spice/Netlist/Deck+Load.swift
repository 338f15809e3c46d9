import Foundation

extension Deck {
    /// Reads a deck file (title line first), resolving `.include`/`.lib` relative to the including file.
    public static func load(path: String) throws -> Deck {
        guard let data = FileManager.default.contents(atPath: path) else {
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
        let resolvedDirectory = LineReader.resolve(directory, in: ".")
        try reader.expand(lines, directory: resolvedDirectory, stack: [], into: &expanded)
        var structure = StructureParser()
        try structure.parse(expanded)
        return try Elaborator(title: title ?? "", structure: structure).run()
    }
}
