// Reference dumps from llama.cpp for Infer's checks (not part of the project's build).
//
//   llama-logits MODEL logits OUT.bin ID ID ...     all-position logits: int32 n, int32 vocab, float[n][vocab]
//   llama-logits MODEL greedy N ID ID ...           the N greedy (argmax) continuation ids on stdout
//   llama-logits MODEL tokenize TEXT               the ids of TEXT (special tokens parsed, as llama-tokenize)
//
// Built against llama.cpp's libllama by scripts/infer/make-real-goldens.sh; 2 threads, context just
// large enough, default (fp16) KV cache: the same settings llama-completion uses.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[2], "tokenize") == 0) {
        llama_log_set(quiet, NULL);
        llama_backend_init();
        struct llama_model_params mp = llama_model_default_params();
        mp.vocab_only = true;
        struct llama_model *model = llama_model_load_from_file(argv[1], mp);
        if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
        const char *text = argv[3];
        int cap = (int)strlen(text) + 16;
        llama_token *out = malloc(sizeof(llama_token) * (size_t)cap);
        int n = llama_tokenize(llama_model_get_vocab(model), text, (int32_t)strlen(text), out, cap, true, true);
        if (n < 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", out[i]);
        printf("\n");
        return 0;
    }
    if (argc < 5) { fprintf(stderr, "usage: %s MODEL logits OUT ID... | MODEL greedy N ID...\n", argv[0]); return 2; }
    const char *path = argv[1], *mode = argv[2], *arg = argv[3];
    int n = argc - 4;
    llama_token *ids = malloc(sizeof(llama_token) * (size_t)n);
    for (int i = 0; i < n; i++) ids[i] = (llama_token)atoi(argv[4 + i]);
    int gen = strcmp(mode, "greedy") == 0 ? atoi(arg) : 0;

    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", path); return 1; }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int nv = llama_vocab_n_tokens(vocab);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n + gen + 16);
    cp.n_batch = cp.n_ubatch = (uint32_t)(n + 16);
    cp.n_threads = cp.n_threads_batch = 2;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }

    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = ids[i]; batch.pos[i] = i; batch.n_seq_id[i] = 1; batch.seq_id[i][0] = 0;
        batch.logits[i] = gen == 0 || i == n - 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch)) { fprintf(stderr, "decode failed\n"); return 1; }

    if (gen == 0) {
        FILE *f = fopen(arg, "wb");
        if (!f) { fprintf(stderr, "cannot write %s\n", arg); return 1; }
        int32_t header[2] = { n, nv };
        fwrite(header, sizeof header, 1, f);
        for (int i = 0; i < n; i++) fwrite(llama_get_logits_ith(ctx, i), sizeof(float), (size_t)nv, f);
        fclose(f);
    } else {
        int pos = n;
        float *logits = llama_get_logits_ith(ctx, n - 1);
        for (int g = 0; g < gen; g++) {
            llama_token best = 0;
            for (int j = 1; j < nv; j++) if (logits[j] > logits[best]) best = j;
            printf(g ? " %d" : "%d", best);
            llama_token one = best;
            struct llama_batch b1 = llama_batch_get_one(&one, 1);
            (void)pos;
            if (llama_decode(ctx, b1)) { fprintf(stderr, "decode failed\n"); return 1; }
            logits = llama_get_logits_ith(ctx, -1);
            pos++;
        }
        printf("\n");
    }
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
