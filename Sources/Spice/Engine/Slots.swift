/// An unknown of the modified nodal system: a node voltage or a branch current.
///
/// Ground is index −1: buffers are offset by one so that index −1 is a discard entry (matrix) or a
/// constant 0 (solution), and stamps never branch on it.
struct Unknown: Hashable, Sendable {
    let index: Int
}

/// A position in the sparse matrix's value array, fixed at elaboration; slot −1 is the discard entry that
/// absorbs stamps touching ground.
struct MatrixSlot: Sendable {
    let index: Int
}

/// The four slots of a two-terminal conductance plus its two rows.
struct PairSlots: Sendable {
    let a: Unknown, b: Unknown
    let aa: MatrixSlot, ab: MatrixSlot, ba: MatrixSlot, bb: MatrixSlot
}

/// The four slots of a transconductance: current from `a` to `b` controlled by `p − n`.
struct QuadSlots: Sendable {
    let ap: MatrixSlot, an: MatrixSlot, bp: MatrixSlot, bn: MatrixSlot
}

/// Hands out matrix slots while devices bind; run twice, first collecting the pattern, then resolving
/// every request to its compressed-column position (dictionary look-ups happen only here).
final class SlotBinder {
    let size: Int
    private var positions: [Int: Int] = [:]
    private(set) var resolving = false
    private(set) var nonzeros = 0
    private(set) var columnStarts: [Int] = []
    private(set) var rowIndices: [Int] = []
    /// Transient state entries handed out so far (charges with their currents, and plain history values).
    private(set) var stateCount = 0
    /// The charge states whose truncation error limits the time step (ngspice's DEVtrunc lists).
    private(set) var truncationStates: [Int] = []

    init(size: Int) { self.size = size }

    /// Reserves `count` charges for transient integration (two entries each: charge, then current) and
    /// returns the first entry; `truncated` charges take part in the step-size control.
    func charges(_ count: Int, truncated: Bool = true) -> Int {
        let base = stateCount
        stateCount += 2 * count
        if truncated && !resolving { for k in 0..<count { truncationStates.append(base + 2 * k) } }
        return base
    }

    /// Reserves `count` plain history entries (values a device needs at the previous time point).
    func states(_ count: Int) -> Int {
        let base = stateCount
        stateCount += count
        return base
    }

    func slot(_ row: Unknown, _ column: Unknown) -> MatrixSlot {
        if row.index < 0 || column.index < 0 { return MatrixSlot(index: -1) }
        let key = row.index &* size &+ column.index
        if resolving { return MatrixSlot(index: positions[key] ?? -1) }
        positions[key] = -1
        return MatrixSlot(index: -1)
    }

    func pair(_ a: Unknown, _ b: Unknown) -> PairSlots {
        PairSlots(a: a, b: b, aa: slot(a, a), ab: slot(a, b), ba: slot(b, a), bb: slot(b, b))
    }

    func quad(control: (Unknown, Unknown), output: (Unknown, Unknown)) -> QuadSlots {
        QuadSlots(ap: slot(output.0, control.0), an: slot(output.0, control.1),
                  bp: slot(output.1, control.0), bn: slot(output.1, control.1))
    }

    /// Ends the collecting pass: sorts the pattern into compressed columns and switches to resolving.
    func finishCollecting() {
        let keys = positions.keys.sorted { a, b in
            let ca = a % size, cb = b % size
            return ca != cb ? ca < cb : a / size < b / size
        }
        nonzeros = keys.count
        columnStarts = [Int](repeating: 0, count: size + 1)
        rowIndices = [Int](repeating: 0, count: keys.count)
        for (position, key) in keys.enumerated() {
            positions[key] = position
            rowIndices[position] = key / size
            columnStarts[key % size + 1] += 1
        }
        for c in 0..<size { columnStarts[c + 1] += columnStarts[c] }
        resolving = true
        // The resolving pass hands out the same state entries again, in the same order.
        stateCount = 0
    }
}
