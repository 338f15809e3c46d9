import GGUF
import Infer
import XCTest

final class ChatTemplateTests: XCTestCase {
    func testChatMLWithSystemMessage() {
        let text = ChatTemplate.chatML.render([.system("Be brief."), .user("Hi"), .assistant("Hello!"), .user("2+2?")],
                                               addGenerationPrompt: true)
        XCTAssertEqual(text, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n")
    }

    func testChatMLAddsNoSystemMessageLikeLlamaCompletion() {
        XCTAssertEqual(ChatTemplate.chatML.render([.user("Hi")], addGenerationPrompt: false),
                       "<|im_start|>user\nHi<|im_end|>\n")
    }

    func testQwenJinjaDefaultSystemPrompt() {
        XCTAssertEqual(ChatTemplate.qwen2Jinja.render([.user("Hi")], addGenerationPrompt: true),
                       "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                       + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        // An explicit system message replaces the default.
        XCTAssertEqual(ChatTemplate.qwen2Jinja.render([.system("S"), .user("Hi")], addGenerationPrompt: false),
                       "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    func testDetectFromModelMetadata() throws {
        let gguf = try GGUFFile(path: TokenizerFixture.directory.appendingPathComponent("qwen2.5-tokenizer.gguf").path)
        XCTAssertEqual(ChatTemplate.forModel(gguf), .chatML)
        XCTAssertEqual(ChatTemplate.forModel(gguf, jinja: true), .qwen2Jinja)
        XCTAssertNil(ChatTemplate.detect(metadataTemplate: "{{ bos_token }}[INST]"))
    }

    func testRenderedPromptTokenizesToSpecialTokens() throws {
        let t = try TokenizerFixture.tokenizer()
        let ids = t.encode(ChatTemplate.chatML.render([.user("Hi")], addGenerationPrompt: true))
        XCTAssertEqual(ids.first, 151_644)
        XCTAssertEqual(ids.filter { $0 == 151_644 }.count, 2)
        XCTAssertEqual(ids.filter { $0 == 151_645 }.count, 1)
    }
}
