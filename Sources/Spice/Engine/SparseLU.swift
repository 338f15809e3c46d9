import CKLU

/// The one place the MNA matrix is factored: real and complex LU over a fixed compressed-column pattern.
///
/// Circuits of at most `denseLimit` unknowns use a small dense LU with partial pivoting, which is faster
/// than KLU at that size and never loads SuiteSparse (about 4.5 ms of process start-up). Larger ones use
/// KLU, loaded on first use: the pattern is analysed once; each Newton iteration refactors in place (same
/// pivots), falling back to a full factorization when the refactored pivots become poor. Complex systems
/// above `supernodalThreshold` unknowns go to UMFPACK, whose BLAS-backed supernodal kernel beats KLU's
/// left-looking one on large meshes (3–4× at 100 000 nodes). No C type leaves this file.
final class SparseLU {
    /// Why a factorization failed: the matrix is numerically singular at `column` (an unknown index), KLU
    /// reported something else, or SuiteSparse could not be loaded.
    enum Failure: Error, CustomStringConvertible {
        case singular(column: Int), failed(status: Int), unavailable(String)

        var description: String {
            switch self {
            case .singular(let column): return "singular at column \(column)"
            case .failed(let status): return "status \(status)"
            case .unavailable(let why): return why
            }
        }
    }

    let size: Int
    private let columnStarts: [Int32]
    private let rowIndices: [Int32]
    /// Set for circuits of at most `denseLimit` unknowns.
    private let dense: DenseLU?
    private var common = klu_common()
    private var symbolic: UnsafeMutablePointer<klu_symbolic>?
    private var numeric: UnsafeMutablePointer<klu_numeric>?
    private var complexNumeric: UnsafeMutablePointer<klu_numeric>?
    private var umfSymbolic: UnsafeMutableRawPointer?
    private var umfNumeric: UnsafeMutableRawPointer?
    private var umfControl = [Double](repeating: 0, count: Int(UMFPACK_CONTROL))
    private var umfScratch: [Double] = []
    static let supernodalThreshold = 20_000
    /// Largest system factored densely (where dense and KLU cost about the same on MNA patterns).
    static let denseLimit = 60
    private var useUMFPACK: Bool { size >= SparseLU.supernodalThreshold }

    /// Analyzes the pattern (column starts of length n+1 and row indices, both zero-based).
    init(size: Int, columnStarts: [Int], rowIndices: [Int]) throws {
        self.size = size
        self.columnStarts = columnStarts.map { Int32($0) }
        self.rowIndices = rowIndices.map { Int32($0) }
        if size <= SparseLU.denseLimit {
            dense = DenseLU(size: size, columnStarts: columnStarts, rowIndices: rowIndices)
            return
        }
        dense = nil
        if cklu_load() != 0 { throw Failure.unavailable(String(cString: cklu_error())) }
        cklu_defaults(&common)
        common.halt_if_singular = 1
        var ap = self.columnStarts, ai = self.rowIndices
        symbolic = cklu_analyze(Int32(size), &ap, &ai, &common)
        if symbolic == nil { throw Failure.failed(status: Int(common.status)) }
    }

    deinit {
        if numeric != nil { cklu_free_numeric(&numeric, &common) }
        if complexNumeric != nil { cklu_z_free_numeric(&complexNumeric, &common) }
        if umfNumeric != nil { cumf_zi_free_numeric(&umfNumeric) }
        if umfSymbolic != nil { cumf_zi_free_symbolic(&umfSymbolic) }
        if symbolic != nil { cklu_free_symbolic(&symbolic, &common) }
    }

    /// Factors real values (in pattern order), refactoring when a factorization already exists.
    func factor(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if let dense { return try dense.factor(values) }
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if numeric != nil {
                    let ok = cklu_refactor(ap, ai, values.baseAddress, symbolic, numeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        cklu_rcond(symbolic, numeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    cklu_free_numeric(&numeric, &common)
                }
                numeric = cklu_factor(ap, ai, values.baseAddress, symbolic, &common)
                if numeric == nil || common.status != KLU_OK {
                    if numeric != nil { cklu_free_numeric(&numeric, &common) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place with the last real factorization.
    func solve(_ rhs: UnsafeMutableBufferPointer<Double>) {
        if let dense { return dense.solve(rhs) }
        cklu_solve(symbolic, numeric, Int32(size), 1, rhs.baseAddress, &common)
    }

    /// Factors complex values stored interleaved (re, im) in pattern order.
    func factorComplex(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if let dense { return try dense.factorComplex(values) }
        if useUMFPACK { return try factorComplexSupernodal(values) }
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if complexNumeric != nil {
                    let ok = cklu_z_refactor(ap, ai, values.baseAddress, symbolic, complexNumeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        cklu_z_rcond(symbolic, complexNumeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    cklu_z_free_numeric(&complexNumeric, &common)
                }
                complexNumeric = cklu_z_factor(ap, ai, values.baseAddress, symbolic, &common)
                if complexNumeric == nil || common.status != KLU_OK {
                    if complexNumeric != nil { cklu_z_free_numeric(&complexNumeric, &common) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place (interleaved re, im) with the last complex factorization of `values`.
    func solveComplex(_ rhs: UnsafeMutableBufferPointer<Double>, values: UnsafeMutableBufferPointer<Double>) {
        if let dense { return dense.solveComplex(rhs) }
        guard useUMFPACK else {
            cklu_z_solve(symbolic, complexNumeric, Int32(size), 1, rhs.baseAddress, &common)
            return
        }
        if umfScratch.count != 2 * size { umfScratch = [Double](repeating: 0, count: 2 * size) }
        for i in 0..<(2 * size) { umfScratch[i] = rhs[i] }
        umfScratch.withUnsafeBufferPointer { b in
            umfControl.withUnsafeBufferPointer { control in
                _ = cumf_zi_solve(Int32(UMFPACK_A), columnStarts, rowIndices, values.baseAddress, nil,
                                  rhs.baseAddress, nil, b.baseAddress, nil, umfNumeric, control.baseAddress, nil)
            }
        }
    }

    /// Solves the transposed system Aᵀx = b in place (interleaved re, im; plain transpose, not conjugate)
    /// with the last complex factorization of `values`: the adjoint solve of the noise analysis.
    func solveComplexTransposed(_ rhs: UnsafeMutableBufferPointer<Double>, values: UnsafeMutableBufferPointer<Double>) {
        if let dense { return dense.solveComplexTransposed(rhs) }
        guard useUMFPACK else {
            cklu_z_tsolve(symbolic, complexNumeric, Int32(size), 1, rhs.baseAddress, 0, &common)
            return
        }
        if umfScratch.count != 2 * size { umfScratch = [Double](repeating: 0, count: 2 * size) }
        for i in 0..<(2 * size) { umfScratch[i] = rhs[i] }
        umfScratch.withUnsafeBufferPointer { b in
            umfControl.withUnsafeBufferPointer { control in
                _ = cumf_zi_solve(Int32(UMFPACK_Aat), columnStarts, rowIndices, values.baseAddress, nil,
                                     rhs.baseAddress, nil, b.baseAddress, nil, umfNumeric, control.baseAddress, nil)
            }
        }
    }

    /// UMFPACK's packed-complex factorization (symbolic analysis once, numeric per call).
    private func factorComplexSupernodal(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if umfSymbolic == nil {
            if cklu_load_umfpack() != 0 { throw Failure.unavailable(String(cString: cklu_error())) }
            umfControl.withUnsafeMutableBufferPointer { cumf_zi_defaults($0.baseAddress) }
            let status = umfControl.withUnsafeBufferPointer { control in
                cumf_zi_symbolic(Int32(size), Int32(size), columnStarts, rowIndices, values.baseAddress, nil,
                                 &umfSymbolic, control.baseAddress, nil)
            }
            if status != UMFPACK_OK { throw Failure.failed(status: Int(status)) }
        }
        if umfNumeric != nil { cumf_zi_free_numeric(&umfNumeric) }
        let status = umfControl.withUnsafeBufferPointer { control in
            cumf_zi_numeric(columnStarts, rowIndices, values.baseAddress, nil, umfSymbolic, &umfNumeric,
                            control.baseAddress, nil)
        }
        if status == UMFPACK_WARNING_singular_matrix { throw Failure.singular(column: -1) }
        if status != UMFPACK_OK { throw Failure.failed(status: Int(status)) }
    }
}

/// LU of small systems in dense storage with partial pivoting, real and complex.
///
/// The first factorization pivots on the largest entry of each column (rows are swapped in storage) and
/// then works out, from the pattern, which entries of L and U can be nonzero under that pivot order. Later
/// factorizations keep the pivots and touch only those entries, as KLU's refactor does; when a kept
/// pivot falls below `pivotTolerance` times the largest entry left in its column, the factorization is
/// redone with fresh pivots. A zero pivot reports its column as singular, as KLU does.
final class DenseLU {
    let n: Int
    private let rows: [Int], columns: [Int]
    /// KLU's default partial-pivoting threshold.
    static let pivotTolerance = 1e-3
    /// Dense position (`position(row k) * n + column`) of each pattern entry under the present pivots.
    private var positions: [Int]
    /// `order[k]`: the original row held at position k.
    private var order: [Int]
    /// Per pivot k: rows below with a (structurally) nonzero L entry, and columns right of it in U.
    private var lowerStarts: [Int] = [], lower: [Int] = []
    private var upperStarts: [Int] = [], upper: [Int] = []
    private var haveRealPivots = false, haveComplexPivots = false
    /// The factors (L below the unit diagonal, U on and above), `n * n` reals or interleaved complexes.
    private let a: UnsafeMutableBufferPointer<Double>
    private let scratch: UnsafeMutableBufferPointer<Double>

    init(size: Int, columnStarts: [Int], rowIndices: [Int]) {
        n = size
        var columns = [Int](repeating: 0, count: rowIndices.count)
        for column in 0..<size {
            for p in columnStarts[column]..<columnStarts[column + 1] { columns[p] = column }
        }
        rows = rowIndices
        self.columns = columns
        order = Array(0..<size)
        positions = zip(rowIndices, columns).map { $0 * size + $1 }
        a = .allocate(capacity: max(1, 2 * size * size)); a.initialize(repeating: 0)
        scratch = .allocate(capacity: max(1, 2 * size)); scratch.initialize(repeating: 0)
    }

    deinit { a.deallocate(); scratch.deallocate() }

    /// Records the pivot order of a fresh factorization and the entries of L and U it can fill.
    private func adoptPivots() {
        var position = [Int](repeating: 0, count: n)
        for k in 0..<n { position[order[k]] = k }
        positions = zip(rows, columns).map { position[$0] * n + $1 }
        var filled = [Bool](repeating: false, count: n * n)
        for p in positions { filled[p] = true }
        for k in 0..<n { filled[k * n + k] = true }
        lowerStarts = [0]; lower = []; upperStarts = [0]; upper = []
        for k in 0..<n {
            let right = ((k + 1)..<n).filter { filled[k * n + $0] }
            for i in (k + 1)..<n where filled[i * n + k] {
                lower.append(i)
                for j in right { filled[i * n + j] = true }
            }
            upper.append(contentsOf: right)
            lowerStarts.append(lower.count); upperStarts.append(upper.count)
        }
    }

    // MARK: Real

    func factor(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if haveRealPivots && refactor(values) { return }
        haveRealPivots = false; haveComplexPivots = false
        let n = self.n, a = self.a.baseAddress!
        order = Array(0..<n)
        a.update(repeating: 0, count: n * n)
        for p in 0..<rows.count { a[rows[p] * n + columns[p]] = values[p] }
        for k in 0..<n {
            var pivot = k, best = abs(a[k * n + k])
            for i in (k + 1)..<n where abs(a[i * n + k]) > best { best = abs(a[i * n + k]); pivot = i }
            if best == 0 { throw SparseLU.Failure.singular(column: k) }
            if pivot != k {
                for j in 0..<n { let t = a[k * n + j]; a[k * n + j] = a[pivot * n + j]; a[pivot * n + j] = t }
                order.swapAt(k, pivot)
            }
            let diagonal = a[k * n + k]
            for i in (k + 1)..<n {
                let l = a[i * n + k]
                if l == 0 { continue }
                let m = l / diagonal
                a[i * n + k] = m
                for j in (k + 1)..<n { a[i * n + j] -= m * a[k * n + j] }
            }
        }
        adoptPivots()
        haveRealPivots = true
    }

    /// Refactors with the kept pivots; false when one became too small (the caller pivots afresh).
    private func refactor(_ values: UnsafeMutableBufferPointer<Double>) -> Bool {
        let n = self.n, a = self.a.baseAddress!
        a.update(repeating: 0, count: n * n)
        positions.withUnsafeBufferPointer { positions in
            for p in 0..<positions.count { a[positions[p]] = values[p] }
        }
        return lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                for k in 0..<n {
                    let diagonal = a[k * n + k]
                    var largest = 0.0
                    for q in lowerStarts[k]..<lowerStarts[k + 1] { largest = max(largest, abs(a[lower[q] * n + k])) }
                    if diagonal == 0 || abs(diagonal) < DenseLU.pivotTolerance * largest { return false }
                    for q in lowerStarts[k]..<lowerStarts[k + 1] {
                        let i = lower[q]
                        let l = a[i * n + k]
                        if l == 0 { continue }
                        let m = l / diagonal
                        a[i * n + k] = m
                        for r in upperStarts[k]..<upperStarts[k + 1] { a[i * n + upper[r]] -= m * a[k * n + upper[r]] }
                    }
                }
                return true
            }
        }
    }

    func solve(_ b: UnsafeMutableBufferPointer<Double>) {
        let n = self.n, a = self.a.baseAddress!, x = scratch.baseAddress!
        for k in 0..<n { x[k] = b[order[k]] }
        lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                for k in 0..<n {
                    let xk = x[k]
                    if xk == 0 { continue }
                    for q in lowerStarts[k]..<lowerStarts[k + 1] { x[lower[q]] -= a[lower[q] * n + k] * xk }
                }
                for i in stride(from: n - 1, through: 0, by: -1) {
                    var s = x[i]
                    for r in upperStarts[i]..<upperStarts[i + 1] { s -= a[i * n + upper[r]] * x[upper[r]] }
                    x[i] = s / a[i * n + i]
                }
            }
        }
        for k in 0..<n { b[k] = x[k] }
    }

    // MARK: Complex (interleaved re, im)

    /// Factors interleaved (re, im) values; pivots by |re| + |im|.
    func factorComplex(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if haveComplexPivots && refactorComplex(values) { return }
        haveRealPivots = false; haveComplexPivots = false
        let n = self.n, a = self.a.baseAddress!
        order = Array(0..<n)
        a.update(repeating: 0, count: 2 * n * n)
        for p in 0..<rows.count {
            let at = rows[p] * n + columns[p]
            a[2 * at] = values[2 * p]; a[2 * at + 1] = values[2 * p + 1]
        }
        for k in 0..<n {
            var pivot = k, best = abs(a[2 * (k * n + k)]) + abs(a[2 * (k * n + k) + 1])
            for i in (k + 1)..<n {
                let size = abs(a[2 * (i * n + k)]) + abs(a[2 * (i * n + k) + 1])
                if size > best { best = size; pivot = i }
            }
            if best == 0 { throw SparseLU.Failure.singular(column: k) }
            if pivot != k {
                for j in 0..<(2 * n) { let t = a[2 * k * n + j]; a[2 * k * n + j] = a[2 * pivot * n + j]; a[2 * pivot * n + j] = t }
                order.swapAt(k, pivot)
            }
            let (ir, ii) = DenseLU.reciprocal(a[2 * (k * n + k)], a[2 * (k * n + k) + 1])
            for i in (k + 1)..<n {
                let lr = a[2 * (i * n + k)], li = a[2 * (i * n + k) + 1]
                if lr == 0 && li == 0 { continue }
                let mr = lr * ir - li * ii, mi = lr * ii + li * ir
                a[2 * (i * n + k)] = mr; a[2 * (i * n + k) + 1] = mi
                for j in (k + 1)..<n {
                    let ur = a[2 * (k * n + j)], ui = a[2 * (k * n + j) + 1]
                    a[2 * (i * n + j)] -= mr * ur - mi * ui
                    a[2 * (i * n + j) + 1] -= mr * ui + mi * ur
                }
            }
        }
        adoptPivots()
        haveComplexPivots = true
    }

    /// 1 / (re + i·im).
    private static func reciprocal(_ re: Double, _ im: Double) -> (Double, Double) {
        let scale = 1 / (re * re + im * im)
        return (re * scale, -im * scale)
    }

    /// Complex refactor with the kept pivots; false when one became too small.
    private func refactorComplex(_ values: UnsafeMutableBufferPointer<Double>) -> Bool {
        let n = self.n, a = self.a.baseAddress!
        a.update(repeating: 0, count: 2 * n * n)
        positions.withUnsafeBufferPointer { positions in
            for p in 0..<positions.count {
                a[2 * positions[p]] = values[2 * p]; a[2 * positions[p] + 1] = values[2 * p + 1]
            }
        }
        return lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                for k in 0..<n {
                    let dr = a[2 * (k * n + k)], di = a[2 * (k * n + k) + 1]
                    var largest = 0.0
                    for q in lowerStarts[k]..<lowerStarts[k + 1] {
                        let at = 2 * (lower[q] * n + k)
                        largest = max(largest, abs(a[at]) + abs(a[at + 1]))
                    }
                    let size = abs(dr) + abs(di)
                    if size == 0 || size < DenseLU.pivotTolerance * largest { return false }
                    let (ir, ii) = DenseLU.reciprocal(dr, di)
                    for q in lowerStarts[k]..<lowerStarts[k + 1] {
                        let i = lower[q]
                        let lr = a[2 * (i * n + k)], li = a[2 * (i * n + k) + 1]
                        if lr == 0 && li == 0 { continue }
                        let mr = lr * ir - li * ii, mi = lr * ii + li * ir
                        a[2 * (i * n + k)] = mr; a[2 * (i * n + k) + 1] = mi
                        for r in upperStarts[k]..<upperStarts[k + 1] {
                            let j = upper[r]
                            let ur = a[2 * (k * n + j)], ui = a[2 * (k * n + j) + 1]
                            a[2 * (i * n + j)] -= mr * ur - mi * ui
                            a[2 * (i * n + j) + 1] -= mr * ui + mi * ur
                        }
                    }
                }
                return true
            }
        }
    }

    /// Solves Aᵀx = b (plain transpose) in place, interleaved (re, im), with the last complex factorization.
    /// With PA = LU this is Uᵀz = b forward, Lᵀw = z backward, then x = Pᵀw. Only the noise analysis's
    /// adjoint solve uses it, once per frequency, so it walks the dense triangles.
    func solveComplexTransposed(_ b: UnsafeMutableBufferPointer<Double>) {
        let n = self.n, a = self.a.baseAddress!, x = scratch.baseAddress!
        for i in 0..<n {
            var sr = b[2 * i], si = b[2 * i + 1]
            for j in 0..<i {
                let ur = a[2 * (j * n + i)], ui = a[2 * (j * n + i) + 1]
                sr -= ur * x[2 * j] - ui * x[2 * j + 1]
                si -= ur * x[2 * j + 1] + ui * x[2 * j]
            }
            let (ir, ii) = DenseLU.reciprocal(a[2 * (i * n + i)], a[2 * (i * n + i) + 1])
            x[2 * i] = sr * ir - si * ii; x[2 * i + 1] = sr * ii + si * ir
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sr = x[2 * i], si = x[2 * i + 1]
            for j in (i + 1)..<n {
                let lr = a[2 * (j * n + i)], li = a[2 * (j * n + i) + 1]
                sr -= lr * x[2 * j] - li * x[2 * j + 1]
                si -= lr * x[2 * j + 1] + li * x[2 * j]
            }
            x[2 * i] = sr; x[2 * i + 1] = si
        }
        for k in 0..<n { b[2 * order[k]] = x[2 * k]; b[2 * order[k] + 1] = x[2 * k + 1] }
    }

    /// Solves interleaved (re, im) in place with the last complex factorization.
    func solveComplex(_ b: UnsafeMutableBufferPointer<Double>) {
        let n = self.n, a = self.a.baseAddress!, x = scratch.baseAddress!
        for k in 0..<n { x[2 * k] = b[2 * order[k]]; x[2 * k + 1] = b[2 * order[k] + 1] }
        lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                for k in 0..<n {
                    let xr = x[2 * k], xi = x[2 * k + 1]
                    if xr == 0 && xi == 0 { continue }
                    for q in lowerStarts[k]..<lowerStarts[k + 1] {
                        let i = lower[q]
                        let lr = a[2 * (i * n + k)], li = a[2 * (i * n + k) + 1]
                        x[2 * i] -= lr * xr - li * xi
                        x[2 * i + 1] -= lr * xi + li * xr
                    }
                }
                for i in stride(from: n - 1, through: 0, by: -1) {
                    var sr = x[2 * i], si = x[2 * i + 1]
                    for r in upperStarts[i]..<upperStarts[i + 1] {
                        let j = upper[r]
                        let ur = a[2 * (i * n + j)], ui = a[2 * (i * n + j) + 1]
                        sr -= ur * x[2 * j] - ui * x[2 * j + 1]
                        si -= ur * x[2 * j + 1] + ui * x[2 * j]
                    }
                    let (ir, ii) = DenseLU.reciprocal(a[2 * (i * n + i)], a[2 * (i * n + i) + 1])
                    x[2 * i] = sr * ir - si * ii
                    x[2 * i + 1] = sr * ii + si * ir
                }
            }
        }
        for k in 0..<(2 * n) { b[k] = x[k] }
    }
}
