extension Simulator {
    /// The output vectors a transient keeps under the deck's `.save` cards, in ngspice's order, or every
    /// output when there is no `.save`, one says `all`, or a control block decides what it reads.
    ///
    /// As ngspice, the vectors the deck's `.meas` cards name are kept too (ngspice saves them on its own),
    /// so a measurement never misses a vector a `.save` left out. Why it matters: a 10 000-node transient
    /// otherwise keeps, transposes and writes every node at every time point.
    var savedOutputs: [(name: String, unknown: Unknown, quantity: Vector.Quantity)] {
        let all = outputs
        guard deck.controlLines.isEmpty else { return all }
        let saves = deck.outputCards.filter { $0.text.hasPrefix(".save") }
        guard !saves.isEmpty else { return all }
        var wanted = Set<String>()
        for card in saves {
            let words = Simulator.words(in: card.text.dropFirst(".save".count))
            if words.contains("all") { return all }
            for word in words { wanted.formUnion(vectorNames(word)) }
        }
        // Every node or branch a measurement mentions (a superset is harmless: it is only kept).
        for card in deck.measurements {
            for word in Simulator.words(in: Substring(card.text)) { wanted.formUnion(vectorNames(word)) }
            // Inside expressions too: every `v(…)` and `i(…)` anywhere in the card.
            var rest = Substring(card.text)
            while let open = rest.firstIndex(of: "(") {
                if open > rest.startIndex, "vi".contains(rest[rest.index(before: open)]),
                   let close = rest[open...].firstIndex(of: ")") {
                    wanted.formUnion(vectorNames(String(rest[rest.index(before: open)...close])))
                }
                rest = rest[rest.index(after: open)...]
            }
        }
        return all.filter { wanted.contains($0.name) }
    }

    /// The names a `.save` or `.meas` word can mean: `v(a)`, `v(a,b)`, `i(v1)`, or a bare node `a`.
    private func vectorNames(_ word: String) -> [String] {
        if word.hasPrefix("v(") || word.hasPrefix("i(") {
            let inner = word.dropFirst(2).prefix { $0 != ")" }
            let kind = word.first!
            return inner.split(separator: ",").map { "\(kind)(\($0.filter { $0 != " " }))" }
        }
        return ["v(\(word))", "i(\(word))"]
    }

    /// Splits a card body into words, keeping `v(a, b)` whole; separators are blanks, `=` and commas
    /// outside parentheses.
    private static func words(in text: Substring) -> [String] {
        var words: [String] = [], word = "", depth = 0
        for c in text.lowercased() {
            if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1) }
            if depth == 0, c == " " || c == "\t" || c == "," || c == "=" {
                if !word.isEmpty { words.append(word); word = "" }
            } else if c != " " {
                word.append(c)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }
}
