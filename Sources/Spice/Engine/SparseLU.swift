import CKLU

/// The one place KLU (and UMFPACK) are called: real and complex sparse LU over a fixed compressed-column
/// pattern.
///
/// The pattern is analysed once; each Newton iteration refactors in place (same pivots), falling back to a
/// full factorization when the refactored pivots become poor. Complex systems above
/// `supernodalThreshold` unknowns go to UMFPACK, whose BLAS-backed supernodal kernel beats KLU's
/// left-looking one on large meshes (3–4× at 100 000 nodes); below it KLU is faster. No C type leaves
/// this file.
final class SparseLU {
    /// Why a factorization failed: the matrix is numerically singular at `column` (an unknown index), or
    /// KLU reported something else.
    enum Failure: Error { case singular(column: Int), failed(status: Int) }

    let size: Int
    private let columnStarts: [Int32]
    private let rowIndices: [Int32]
    private var common = klu_common()
    private var symbolic: UnsafeMutablePointer<klu_symbolic>?
    private var numeric: UnsafeMutablePointer<klu_numeric>?
    private var complexNumeric: UnsafeMutablePointer<klu_numeric>?
    private var umfSymbolic: UnsafeMutableRawPointer?
    private var umfNumeric: UnsafeMutableRawPointer?
    private var umfControl = [Double](repeating: 0, count: Int(UMFPACK_CONTROL))
    private var umfScratch: [Double] = []
    static let supernodalThreshold = 20_000
    private var useUMFPACK: Bool { size >= SparseLU.supernodalThreshold }

    /// Analyzes the pattern (column starts of length n+1 and row indices, both zero-based).
    init(size: Int, columnStarts: [Int], rowIndices: [Int]) throws {
        self.size = size
        self.columnStarts = columnStarts.map { Int32($0) }
        self.rowIndices = rowIndices.map { Int32($0) }
        klu_defaults(&common)
        common.halt_if_singular = 1
        var ap = self.columnStarts, ai = self.rowIndices
        symbolic = klu_analyze(Int32(size), &ap, &ai, &common)
        if symbolic == nil { throw Failure.failed(status: Int(common.status)) }
    }

    deinit {
        if numeric != nil { klu_free_numeric(&numeric, &common) }
        if complexNumeric != nil { klu_z_free_numeric(&complexNumeric, &common) }
        if umfNumeric != nil { umfpack_zi_free_numeric(&umfNumeric) }
        if umfSymbolic != nil { umfpack_zi_free_symbolic(&umfSymbolic) }
        if symbolic != nil { klu_free_symbolic(&symbolic, &common) }
    }

    /// Factors real values (in pattern order), refactoring when a factorization already exists.
    func factor(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if numeric != nil {
                    let ok = klu_refactor(ap, ai, values.baseAddress, symbolic, numeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        klu_rcond(symbolic, numeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    klu_free_numeric(&numeric, &common)
                }
                numeric = klu_factor(ap, ai, values.baseAddress, symbolic, &common)
                if numeric == nil || common.status != KLU_OK {
                    if numeric != nil { klu_free_numeric(&numeric, &common) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place with the last real factorization.
    func solve(_ rhs: UnsafeMutableBufferPointer<Double>) {
        klu_solve(symbolic, numeric, Int32(size), 1, rhs.baseAddress, &common)
    }

    /// Factors complex values stored interleaved (re, im) in pattern order.
    func factorComplex(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if useUMFPACK { return try factorComplexSupernodal(values) }
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if complexNumeric != nil {
                    let ok = klu_z_refactor(ap, ai, values.baseAddress, symbolic, complexNumeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        klu_z_rcond(symbolic, complexNumeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    klu_z_free_numeric(&complexNumeric, &common)
                }
                complexNumeric = klu_z_factor(ap, ai, values.baseAddress, symbolic, &common)
                if complexNumeric == nil || common.status != KLU_OK {
                    if complexNumeric != nil { klu_z_free_numeric(&complexNumeric, &common) }
        if umfNumeric != nil { umfpack_zi_free_numeric(&umfNumeric) }
        if umfSymbolic != nil { umfpack_zi_free_symbolic(&umfSymbolic) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place (interleaved re, im) with the last complex factorization of `values`.
    func solveComplex(_ rhs: UnsafeMutableBufferPointer<Double>, values: UnsafeMutableBufferPointer<Double>) {
        guard useUMFPACK else {
            klu_z_solve(symbolic, complexNumeric, Int32(size), 1, rhs.baseAddress, &common)
            return
        }
        if umfScratch.count != 2 * size { umfScratch = [Double](repeating: 0, count: 2 * size) }
        for i in 0..<(2 * size) { umfScratch[i] = rhs[i] }
        umfScratch.withUnsafeBufferPointer { b in
            umfControl.withUnsafeBufferPointer { control in
                _ = umfpack_zi_solve(Int32(UMFPACK_A), columnStarts, rowIndices, values.baseAddress, nil,
                                     rhs.baseAddress, nil, b.baseAddress, nil, umfNumeric, control.baseAddress, nil)
            }
        }
    }

    /// Solves the transposed system Aᵀx = b in place (interleaved re, im; plain transpose, not conjugate)
    /// with the last complex factorization of `values`: the adjoint solve of the noise analysis.
    func solveComplexTransposed(_ rhs: UnsafeMutableBufferPointer<Double>, values: UnsafeMutableBufferPointer<Double>) {
        guard useUMFPACK else {
            klu_z_tsolve(symbolic, complexNumeric, Int32(size), 1, rhs.baseAddress, 0, &common)
            return
        }
        if umfScratch.count != 2 * size { umfScratch = [Double](repeating: 0, count: 2 * size) }
        for i in 0..<(2 * size) { umfScratch[i] = rhs[i] }
        umfScratch.withUnsafeBufferPointer { b in
            umfControl.withUnsafeBufferPointer { control in
                _ = umfpack_zi_solve(Int32(UMFPACK_Aat), columnStarts, rowIndices, values.baseAddress, nil,
                                     rhs.baseAddress, nil, b.baseAddress, nil, umfNumeric, control.baseAddress, nil)
            }
        }
    }

    /// UMFPACK's packed-complex factorization (symbolic analysis once, numeric per call).
    private func factorComplexSupernodal(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if umfSymbolic == nil {
            umfControl.withUnsafeMutableBufferPointer { umfpack_zi_defaults($0.baseAddress) }
            let status = umfControl.withUnsafeBufferPointer { control in
                umfpack_zi_symbolic(Int32(size), Int32(size), columnStarts, rowIndices, values.baseAddress, nil,
                                    &umfSymbolic, control.baseAddress, nil)
            }
            if status != UMFPACK_OK { throw Failure.failed(status: Int(status)) }
        }
        if umfNumeric != nil { umfpack_zi_free_numeric(&umfNumeric) }
        let status = umfControl.withUnsafeBufferPointer { control in
            umfpack_zi_numeric(columnStarts, rowIndices, values.baseAddress, nil, umfSymbolic, &umfNumeric,
                               control.baseAddress, nil)
        }
        if status == UMFPACK_WARNING_singular_matrix { throw Failure.singular(column: -1) }
        if status != UMFPACK_OK { throw Failure.failed(status: Int(status)) }
    }
}
