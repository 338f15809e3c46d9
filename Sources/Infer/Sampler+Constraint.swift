extension Sampler {
    /// Samples under a decoding constraint and feeds the chosen token's bytes to it.
    ///
    /// Greedy and top-k sampling check only the best candidates one by one (no full mask); with top-k off
    /// the whole mask is computed so top-p and the softmax see exactly the allowed tokens. Returns nil
    /// when the constraint allows nothing (cannot happen for a constraint whose states stay completable
    /// and a vocabulary holding every single byte).
    public mutating func sample<C: DecodingConstraint>(logits: inout [Float], recent: ArraySlice<Int32>,
                                                       constraint: inout C, masker: ConstraintMasker,
                                                       tokenizer: Tokenizer) -> Int32? {
        let id: Int32
        if settings.temperature <= 0 || settings.topK > 0 {
            var probe = constraint   // `allows` leaves the state as it was; the closure needs its own copy
            id = sample(logits: &logits, recent: recent) { masker.allows($0, &probe) }
        } else {
            let mask = masker.mask(&constraint)
            id = sample(logits: &logits, recent: recent, mask: mask)
        }
        guard id >= 0 else { return nil }
        if !tokenizer.isEndOfGeneration(id) {
            // The masker allowed it, so accepting cannot fail.
            try? constraint.accept(tokenizer.tokenBytes(id))
        }
        return id
    }
}
