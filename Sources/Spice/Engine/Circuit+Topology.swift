/// Structural checks run before the first factorization, so a singular circuit is reported by name
/// rather than as a bad pivot.
extension Circuit {
    /// Throws when a node has no DC path to ground or voltage sources / inductors form a loop.
    func checkTopology() throws {
        let n = size  // union-find over unknown indices; ground is n
        var parent = Array(0...n)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        // Voltage-defined branches first: a cycle among them is a loop of sources.
        var sourceEdges: [(Int, Int, Element)] = []
        var conductive: [(Int, Int)] = []
        for e in elements {
            let u = e.nodes.map { node -> Int in let i = unknown(node).index; return i < 0 ? n : i }
            switch e.kind {
            case .voltageSource, .inductor, .vcvs, .ccvs: sourceEdges.append((u[0], u[1], e))
            case .resistor, .diode: conductive.append((u[0], u[1]))
            case .mosfet: conductive.append((u[0], u[2])); conductive.append((u[0], u[3]))
            case .capacitor, .currentSource, .vccs, .cccs: break
            }
        }
        var adjacency: [Int: [(Int, Element)]] = [:]
        for (a, b, e) in sourceEdges {
            if find(a) == find(b) {
                let loop = [e.name] + path(from: a, to: b, adjacency).map(\.name)
                let names = loop.map { "'\($0)'" }.joined(separator: ", ")
                throw SimulationError(.voltageLoop, "voltage sources / inductors \(names) form a loop (their voltages are fixed around a closed path)",
                                      subject: e.name, location: e.location)
            }
            parent[find(a)] = find(b)
            adjacency[a, default: []].append((b, e)); adjacency[b, default: []].append((a, e))
        }
        for (a, b) in conductive { parent[find(a)] = find(b) }
        let groundRoot = find(n)
        var floating: [Int] = []
        for u in externalNodes.map(\.index) where find(u) != groundRoot { floating.append(u) }
        guard let first = floating.first else { return }
        let group = floating.filter { find($0) == find(first) }
        let name = unknownNames[first]
        let touching = elements.filter { $0.nodes.contains(name) }
        let kinds = Set(touching.map { Circuit.kindName($0.kind) }).sorted()
        let names = group.map { "'\(unknownNames[$0])'" }.joined(separator: ", ")
        let subject = group.count == 1 ? "node \(names) has" : "nodes \(names) have"
        throw SimulationError(.floatingNode,
                              "\(subject) no DC path to ground (only \(kinds.joined(separator: ", ")) connect to '\(name)': \(touching.map(\.name).joined(separator: ", ")))",
                              subject: name, location: touching.first?.location)
    }

    private func path(from a: Int, to b: Int, _ adjacency: [Int: [(Int, Element)]]) -> [Element] {
        var previous: [Int: (Int, Element)] = [:]
        var queue = [a], seen: Set<Int> = [a], head = 0
        while head < queue.count {
            let x = queue[head]; head += 1
            if x == b { break }
            for (y, e) in adjacency[x] ?? [] where !seen.contains(y) {
                seen.insert(y); previous[y] = (x, e); queue.append(y)
            }
        }
        var result: [Element] = [], x = b
        while x != a, let (p, e) = previous[x] { result.append(e); x = p }
        return result
    }

    static func kindName(_ kind: Element.Kind) -> String {
        switch kind {
        case .resistor: "resistors"
        case .capacitor: "capacitors"
        case .inductor: "inductors"
        case .voltageSource: "voltage sources"
        case .currentSource: "current sources"
        case .vcvs, .vccs: "controlled-source control inputs or outputs"
        case .cccs: "current-controlled current sources"
        case .ccvs: "current-controlled voltage sources"
        case .diode: "diodes"
        case .mosfet: "MOSFET terminals"
        }
    }
}
