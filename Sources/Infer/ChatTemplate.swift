/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user` or `assistant` (any other role is rendered the same way).
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// Renders a conversation to the prompt text a ChatML model (Qwen2) expects.
///
/// Each message becomes `<|im_start|>ROLE\nCONTENT<|im_end|>\n`; the generation prompt is
/// `<|im_start|>assistant\n`. The prompt text contains the special tokens as text: encode it with
/// `parseSpecial: true`.
///
/// Default system prompt: llama.cpp's `llama-completion` (its default, non-Jinja template path) detects
/// ChatML in the GGUF template and adds no system message (`.chatML`). The GGUF's own Jinja template
/// (used by `--jinja` and the server) inserts "You are Qwen, created by Alibaba Cloud. You are a helpful
/// assistant." when the first message is not a system message (`.qwen2Jinja`).
public struct ChatTemplate: Sendable, Equatable {
    /// System prompt inserted when the conversation does not start with a system message.
    public var defaultSystemPrompt: String?

    public init(defaultSystemPrompt: String? = nil) {
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Plain ChatML, as `llama-completion` applies it by default (no implicit system message).
    public static let chatML = ChatTemplate(defaultSystemPrompt: nil)

    /// Qwen2.5's GGUF Jinja template (no tools): ChatML with Qwen's default system message.
    public static let qwen2Jinja = ChatTemplate(defaultSystemPrompt: qwenDefaultSystemPrompt)

    /// The default system prompt written in Qwen2.5's chat template.
    public static let qwenDefaultSystemPrompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

    /// Picks the template for a model's `tokenizer.chat_template` text; `jinja` selects the behaviour of
    /// llama.cpp's Jinja path (default system prompt taken from the template) over its built-in ChatML.
    /// Returns nil when the template is not ChatML.
    public static func detect(metadataTemplate: String?, jinja: Bool = false) -> ChatTemplate? {
        guard let t = metadataTemplate, t.contains("<|im_start|>") else { return nil }
        guard jinja else { return .chatML }
        if t.contains(qwenDefaultSystemPrompt) { return .qwen2Jinja }
        return .chatML
    }

    /// Renders the messages; `addGenerationPrompt` appends the opening of the assistant's turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        if let system = defaultSystemPrompt, messages.first?.role != "system" {
            out += "<|im_start|>system\n" + system + "<|im_end|>\n"
        }
        for m in messages {
            out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
