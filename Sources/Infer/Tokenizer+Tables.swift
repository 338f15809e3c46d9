/// The immutable look-up tables behind a `Tokenizer`, built once from the vocabulary.
///
/// BPE runs over "pieces": every vocabulary token spelled in raw bytes has piece id = token id; strings
/// that occur in merge rules but are not tokens get piece ids from `vocabularySize` up, so merges work
/// by integer pair look-ups while matching llama.cpp's string-based rules exactly.
final class TokenizerTables: Sendable {
    let tokenBytes: [[UInt8]]
    let kinds: [TokenKind]
    let idByText: [String: Int32]
    let preTokenizer: PreTokenizer
    let bos: Int32?
    let eos: Int32?
    let eot: Int32?
    let addBOS: Bool
    let addEOS: Bool
    let endOfGeneration: Set<Int32>

    /// Piece id of each single byte.
    let bytePiece: [Int32]
    /// (left piece << 32 | right piece) → (rank, merged piece).
    let mergeTable: [UInt64: (rank: Int32, piece: Int32)]
    /// Raw bytes of the pieces that are not vocabulary tokens (index = piece − vocabularySize).
    let extraPieceBytes: [[UInt8]]
    /// Token id for each raw-byte token, used by the byte fallback.
    let tokenByByte: [Int32?]

    /// Special tokens matched verbatim in the input, longest text first.
    let specials: [(bytes: [UInt8], id: Int32, kind: TokenKind)]

    init(_ v: TokenizerVocabulary) throws {
        guard v.model == "gpt2" else { throw TokenizerError.unsupportedModel(v.model) }
        guard let pre = PreTokenizer.namesToKinds[v.preTokenizer] else {
            throw TokenizerError.unsupportedPreTokenizer(v.preTokenizer)
        }
        let n = v.tokens.count
        guard n > 0 else { throw TokenizerError.emptyVocabulary }
        if let types = v.tokenTypes, types.count != n {
            throw TokenizerError.lengthMismatch(key: "tokenizer.ggml.token_type", expected: n, actual: types.count)
        }
        for (key, id) in [("tokenizer.ggml.bos_token_id", v.bos), ("tokenizer.ggml.eos_token_id", v.eos),
                          ("tokenizer.ggml.eot_token_id", v.eot), ("tokenizer.ggml.eom_token_id", v.eom),
                          ("tokenizer.ggml.padding_token_id", v.padding)] {
            if let id, id < 0 || Int(id) >= n {
                throw TokenizerError.tokenIdOutOfRange(key: key, id: Int(id), vocabularySize: n)
            }
        }
        preTokenizer = pre
        addBOS = v.addBOS
        addEOS = v.addEOS
        bos = v.bos
        eos = v.eos

        var kinds = [TokenKind](repeating: .normal, count: n)
        if let types = v.tokenTypes {
            for i in 0..<n { kinds[i] = TokenKind(rawValue: types[i]) ?? .undefined }
        }

        // Text → id (the later id wins on duplicates, as in llama.cpp).
        var idByText: [String: Int32] = [:]
        idByText.reserveCapacity(n)
        for (i, t) in v.tokens.enumerated() { idByText[t] = Int32(i) }

        // End-of-generation set and end-of-turn, by metadata then by the token texts llama.cpp recognises;
        // those tokens are treated as control tokens whatever their declared type.
        var eog = Set<Int32>()
        for id in [v.eos, v.eot, v.eom] { if let id { eog.insert(id) } }
        let endTexts = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>",
                        "<|end_of_text|>", "<EOT>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]
        for text in endTexts {
            if let id = idByText[text] {
                eog.insert(id)
                if kinds[Int(id)] != .control, ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>",
                                                 "<|end|>", "<end_of_turn>", "<|end_of_text|>", "<EOT>"].contains(text) {
                    kinds[Int(id)] = .control
                }
            }
        }
        eot = v.eot ?? idByText["<|im_end|>"] ?? idByText["<|eot_id|>"] ?? idByText["<end_of_turn>"]
        if let eot { eog.insert(eot) }
        endOfGeneration = eog

        // Bytes per token.
        var tokenBytes = [[UInt8]](repeating: [], count: n)
        var pieceByBytes: [[UInt8]: Int32] = [:]
        pieceByBytes.reserveCapacity(n + n / 4)
        for i in 0..<n {
            let text = v.tokens[i]
            let raw = ByteLevel.bytes(ofTokenText: text)
            switch kinds[i] {
            case .normal, .undefined, .byte:
                tokenBytes[i] = raw ?? Array(text.utf8)
            case .control, .userDefined, .unknown:
                tokenBytes[i] = Array(text.utf8)
            case .unused:
                tokenBytes[i] = []
            }
            if let raw { pieceByBytes[raw] = Int32(i) }
        }
        self.tokenBytes = tokenBytes
        self.kinds = kinds
        self.idByText = idByText

        var tokenByByte = [Int32?](repeating: nil, count: 256)
        for b in 0..<256 { tokenByByte[b] = pieceByBytes[[UInt8(b)]] }
        self.tokenByByte = tokenByByte

        // Merge rules over piece ids.
        var extra: [[UInt8]] = []
        func piece(_ bytes: [UInt8]) -> Int32 {
            if let p = pieceByBytes[bytes] { return p }
            let p = Int32(n + extra.count)
            extra.append(bytes)
            pieceByBytes[bytes] = p
            return p
        }
        var bytePiece = [Int32](repeating: 0, count: 256)
        for b in 0..<256 { bytePiece[b] = piece([UInt8(b)]) }
        var merges: [UInt64: (rank: Int32, piece: Int32)] = [:]
        merges.reserveCapacity(v.merges.count)
        for (rank, rule) in v.merges.enumerated() {
            // The separator is the first space after the first character (a part may itself be a space-free
            // byte-level string; llama.cpp splits at find(' ', 1)).
            let utf8 = Array(rule.utf8)
            guard utf8.count >= 3, let sep = utf8[1...].firstIndex(of: 0x20) else { continue }
            guard let left = ByteLevel.bytes(ofTokenText: String(decoding: utf8[..<sep], as: UTF8.self)),
                  let right = ByteLevel.bytes(ofTokenText: String(decoding: utf8[(sep + 1)...], as: UTF8.self)),
                  !left.isEmpty, !right.isEmpty else { continue }
            let l = piece(left), r = piece(right)
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            // A repeated pair keeps its first (best) rank, as llama.cpp's map does.
            if merges[key] == nil { merges[key] = (Int32(rank), piece(left + right)) }
        }
        self.bytePiece = bytePiece
        self.mergeTable = merges
        self.extraPieceBytes = extra

        var specials: [(bytes: [UInt8], id: Int32, kind: TokenKind)] = []
        for i in 0..<n where kinds[i].isPartitioned && !v.tokens[i].isEmpty {
            specials.append((Array(v.tokens[i].utf8), Int32(i), kinds[i]))
        }
        specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        self.specials = specials
    }
}

// MARK: - Special-token partition

/// A piece of input after special tokens were cut out.
enum Fragment {
    case special(Int32)
    case text(Range<Int>)
}

extension TokenizerTables {
    /// Cuts the verbatim text of special tokens out of `bytes`, longest token first (llama.cpp's
    /// `tokenizer_st_partition`). Without `parseSpecial` only user-defined tokens are cut out.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in specials {
            if !parseSpecial, special.kind == .control || special.kind == .unknown { continue }
            let needle = special.bytes
            let first = needle[0]
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for fragment in fragments {
                guard case .text(let range) = fragment, range.count >= needle.count else {
                    next.append(fragment); continue
                }
                var start = range.lowerBound
                var i = range.lowerBound
                let last = range.upperBound - needle.count
                while i <= last {
                    if bytes[i] == first, bytes[i..<i + needle.count].elementsEqual(needle) {
                        if i > start { next.append(.text(start..<i)) }
                        next.append(.special(special.id))
                        i += needle.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }
}

// MARK: - BPE

extension TokenizerTables {
    /// Encodes one pre-tokenized word (raw bytes) with the merge rules: repeatedly merge the adjacent
    /// pair of lowest rank (leftmost on ties) until none applies.
    func bpe(_ word: [UInt8]) -> [Int32] {
        let count = word.count
        if count == 0 { return [] }
        if count == 1 { return emit([bytePiece[Int(word[0])]]) }

        var piece = [Int32](repeating: 0, count: count)
        var prev = [Int](repeating: -1, count: count)
        var next = [Int](repeating: -1, count: count)
        var alive = [Bool](repeating: true, count: count)
        for i in 0..<count {
            piece[i] = bytePiece[Int(word[i])]
            prev[i] = i - 1
            next[i] = i + 1 < count ? i + 1 : -1
        }
        var heap = PairHeap()
        @inline(__always) func pushPair(_ l: Int, _ r: Int) {
            guard l >= 0, r >= 0 else { return }
            let key = UInt64(UInt32(piece[l])) << 32 | UInt64(UInt32(piece[r]))
            if let m = mergeTable[key] {
                heap.push(PairHeap.Entry(rank: m.rank, left: Int32(l), leftPiece: piece[l], rightPiece: piece[r]))
            }
        }
        for i in 0..<(count - 1) { pushPair(i, i + 1) }
        while let top = heap.pop() {
            let l = Int(top.left)
            guard alive[l], piece[l] == top.leftPiece else { continue }
            let r = next[l]
            guard r >= 0, piece[r] == top.rightPiece else { continue }
            let key = UInt64(UInt32(piece[l])) << 32 | UInt64(UInt32(piece[r]))
            guard let m = mergeTable[key] else { continue }
            piece[l] = m.piece
            alive[r] = false
            next[l] = next[r]
            if next[r] >= 0 { prev[next[r]] = l }
            pushPair(prev[l], l)
            pushPair(l, next[l])
        }
        var pieces: [Int32] = []
        var i = 0
        while i >= 0 { pieces.append(piece[i]); i = next[i] }
        return emit(pieces)
    }

    /// Maps pieces to token ids; a piece that is not a token falls back to its single-byte tokens.
    private func emit(_ pieces: [Int32]) -> [Int32] {
        let n = tokenBytes.count
        var out: [Int32] = []
        out.reserveCapacity(pieces.count)
        for p in pieces {
            if Int(p) < n {
                out.append(p)
            } else {
                for b in extraPieceBytes[Int(p) - n] { if let t = tokenByByte[Int(b)] { out.append(t) } }
            }
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, left position).
struct PairHeap {
    struct Entry {
        var rank: Int32
        var left: Int32
        var leftPiece: Int32
        var rightPiece: Int32
        @inline(__always) func before(_ o: Entry) -> Bool { rank != o.rank ? rank < o.rank : left < o.left }
    }
    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[i].before(items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, items[l].before(items[m]) { m = l }
                if r < n, items[r].before(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return first
    }
}
