import ArgumentParser
import GGUF

/// `miller quantize IN OUT q8_0`: requantize a GGUF model's weights to Q8_0.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Requantize a GGUF model: 2-D weights with rows divisible by 32 to Q8_0, other tensors to F32.")

    @Argument(help: "Input GGUF file.")
    var input: String

    @Argument(help: "Output GGUF file (written to OUTPUT.partial, then renamed).")
    var output: String

    @Argument(help: "Target type; only q8_0 is supported.")
    var type: String = "q8_0"

    func validate() throws {
        guard type.lowercased() == "q8_0" else {
            throw ValidationError("unsupported target type '\(type)': only q8_0 is supported")
        }
    }

    func run() throws {
        let file = try GGUFFile(path: input)
        let summary = try file.requantize(to: output, as: .q8_0)
        print("\(output): \(summary.quantized.count) tensors Q8_0, \(summary.keptAsF32.count) F32, \(summary.bytesWritten) bytes")
    }
}
