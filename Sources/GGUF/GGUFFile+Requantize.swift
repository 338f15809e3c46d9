/// What `GGUFFile.requantize` wrote.
public struct GGUFRequantizeSummary: Sendable {
    /// Tensors written in the target quantized type.
    public var quantized: [String] = []
    /// Tensors written as F32 (norms, biases, rows not divisible by the block size, F32 sources).
    public var keptAsF32: [String] = []
    /// Size of the output file.
    public var bytesWritten = 0
}

extension GGUFFile {
    /// Writes a copy of this model with every weight requantized to `target` (only `.q8_0`).
    ///
    /// The rule matches the reference script `shared/tools/get-reference-model.sh`: a tensor
    /// becomes Q8_0 when it has at least two dimensions, its rows (`shape[0]`) are a multiple of 32
    /// and it is not stored as F32; every other tensor is dequantized to F32. Metadata is copied in
    /// order with `general.file_type` set to 7 (mostly Q8_0). Tensors are converted a few rows at a
    /// time and streamed to disk, so memory stays small whatever the model size.
    @discardableResult
    public func requantize(to path: String, as target: GGMLType = .q8_0,
                           progress: ((_ index: Int, _ tensor: GGUFTensorInfo) -> Void)? = nil) throws -> GGUFRequantizeSummary {
        guard target == .q8_0 else { throw GGUFError.unsupportedType(target, operation: "requantize") }
        for t in tensors where !t.type.canDequantize {
            throw GGUFError.unsupportedType(t.type, operation: "requantize (tensor '\(t.name)')")
        }
        var writer = GGUFWriter()
        for key in metadataKeys { writer.set(key, metadata[key]!) }
        writer.set("general.file_type", .uint32(7))
        var summary = GGUFRequantizeSummary()
        var outputTypes: [GGMLType] = []
        for t in tensors {
            let quantize = t.type != .f32 && t.shape.count >= 2 && t.shape[0] % target.blockSize == 0
            let type: GGMLType = quantize ? target : .f32
            try writer.declareTensor(name: t.name, shape: t.shape, type: type)
            outputTypes.append(type)
            if quantize { summary.quantized.append(t.name) } else { summary.keptAsF32.append(t.name) }
        }

        // About a million elements per chunk, whole rows only (rows are whole blocks in any type).
        let chunkElements = 1 << 20
        var floats = [Float](repeating: 0, count: chunkElements)
        var packed = [UInt8](repeating: 0, count: chunkElements / 32 * 34)
        var index = 0
        try writer.write(to: path) { info, emit in
            let source = tensors[index]
            let type = outputTypes[index]
            progress?(index, source)
            index += 1
            let rowLength = source.shape[0]
            let rows = source.rowCount
            let sourceRowBytes = source.byteCount / rows
            let rowsPerChunk = max(1, chunkElements / rowLength)
            if floats.count < rowsPerChunk * rowLength {
                floats = [Float](repeating: 0, count: rowsPerChunk * rowLength)
                packed = [UInt8](repeating: 0, count: rowsPerChunk * rowLength / 32 * 34)
            }
            try withData(of: source) { src in
                var row = 0
                while row < rows {
                    let n = min(rowsPerChunk, rows - row)
                    let count = n * rowLength
                    let slice = UnsafeRawBufferPointer(rebasing: src[(row * sourceRowBytes)..<((row + n) * sourceRowBytes)])
                    try floats.withUnsafeMutableBufferPointer { f in
                        try dequantize(source.type, slice, count: count, into: f)
                        let values = UnsafeBufferPointer(rebasing: f[0..<count])
                        if type == .f32 {
                            try emit(UnsafeRawBufferPointer(values))   // little-endian hosts only, as GGUF
                        } else {
                            try packed.withUnsafeMutableBytes { out in
                                let bytes = count / 32 * 34
                                quantizeQ8_0(values, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<bytes]))
                                try emit(UnsafeRawBufferPointer(rebasing: out[0..<bytes]))
                            }
                        }
                    }
                    row += n
                }
            }
            _ = info
        }
        let written = try GGUFFile(path: path)
        summary.bytesWritten = written.byteCount
        return summary
    }
}
