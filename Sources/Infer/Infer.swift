import GGUF

/// Quantized transformer inference (Qwen2 architecture) over GGUF weights.
public enum Infer {}
