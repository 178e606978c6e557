#!/usr/bin/python3
"""An independent PyTorch implementation of every model family the library loads, written from the definitions in
Hugging Face transformers' modeling code (Llama, Mistral, Qwen2, Qwen3, Gemma 3 text, Phi-3, SmolLM3), and a writer
of small random checkpoints with their reference outputs.

Usage (Debian trixie's python3-torch and python3-safetensors; see README.md here):
    python3 reference.py <outDir>

Each case folder of <outDir> gets config.json and model.safetensors (Hugging Face names, bf16 weights) and
reference.safetensors (all float32; ids are small integers, exact in float32) with:
    input_ids [T], logits [T, V]                  one forward pass over T tokens (longer than any sliding window)
    prompt_ids [P], generated_ids [N]             greedy generation of N tokens with a KV cache, as transformers'
                                                   generate() does it (LongRoPE's switch of factors included)
    cache_logits [N, V]                           the next-token logits of each generation step
A developer-side reference only: nothing in the library or its tests runs Python; the tests read the written files.
"""
import json
import math
import pathlib
import sys

import torch
from safetensors.torch import save_file

VOCAB, HIDDEN, INTERMEDIATE = 128, 32, 64
SEQUENCE, PROMPT, NEW_TOKENS = 24, 8, 32

# Tiny configs of each family, written as its config.json. Each exercises what makes the family different.
CASES = {
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, tie_word_embeddings=False, rope_theta=10000.0, rms_norm_eps=1e-5),
    "mistral-window": dict(model_type="mistral", architectures=["MistralForCausalLM"], num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, sliding_window=8, rope_theta=10000.0,
                           rms_norm_eps=1e-5, tie_word_embeddings=False),
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                  use_sliding_window=False),
    "qwen3": dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=12, rope_theta=1000000.0, rms_norm_eps=1e-6,
                  tie_word_embeddings=True, attention_bias=False, use_sliding_window=False),
    "gemma3": dict(model_type="gemma3_text", architectures=["Gemma3ForCausalLM"], num_hidden_layers=4,
                   num_attention_heads=4, num_key_value_heads=1, head_dim=16, hidden_activation="gelu_pytorch_tanh",
                   rope_theta=1000000.0, rope_local_base_freq=10000.0, rope_scaling=dict(rope_type="linear", factor=2.0),
                   query_pre_attn_scalar=20, sliding_window=8, sliding_window_pattern=3, rms_norm_eps=1e-6,
                   final_logit_softcapping=None, attn_logit_softcapping=None, tie_word_embeddings=True),
    "gemma3-softcap": dict(model_type="gemma3_text", architectures=["Gemma3ForCausalLM"], num_hidden_layers=2,
                           num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                           hidden_activation="gelu_pytorch_tanh", rope_theta=1000000.0, rope_local_base_freq=10000.0,
                           query_pre_attn_scalar=16, sliding_window=6,
                           layer_types=["full_attention", "sliding_attention"], rms_norm_eps=1e-6,
                           final_logit_softcapping=3.0, attn_logit_softcapping=None, tie_word_embeddings=True),
    "phi3": dict(model_type="phi3", architectures=["Phi3ForCausalLM"], num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, partial_rotary_factor=0.5, rope_theta=10000.0, max_position_embeddings=64,
                 original_max_position_embeddings=16,
                 rope_scaling=dict(type="longrope", short_factor=[1.0, 1.25], long_factor=[2.0, 3.5]),
                 sliding_window=12, rms_norm_eps=1e-5, tie_word_embeddings=False),
    "smollm3": dict(model_type="smollm3", architectures=["SmolLM3ForCausalLM"], num_hidden_layers=4,
                    num_attention_heads=4, num_key_value_heads=2, no_rope_layer_interval=2, rope_theta=2000000.0,
                    rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False),
}


def full_config(case):
    config = dict(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, max_position_embeddings=128,
                  bos_token_id=1, eos_token_id=2, torch_dtype="bfloat16")
    if case["model_type"] != "gemma3_text":
        config["hidden_act"] = "silu"
    config.update(case)
    config.setdefault("head_dim", HIDDEN // config["num_attention_heads"])
    return config


# ---- the configuration as transformers resolves it ----

def layer_types(c):
    n = c["num_hidden_layers"]
    if c["model_type"] == "gemma3_text":
        if c.get("layer_types"):
            return c["layer_types"]
        pattern = c.get("sliding_window_pattern", 6)
        return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
    if c["model_type"] in ("mistral", "phi3") and c.get("sliding_window"):
        return ["sliding_attention"] * n
    return ["full_attention"] * n


def uses_rope(c):
    if c["model_type"] != "smollm3":
        return [True] * c["num_hidden_layers"]
    if c.get("no_rope_layers"):
        return [bool(v) for v in c["no_rope_layers"]]
    interval = c.get("no_rope_layer_interval", 4)
    return [bool((i + 1) % interval != 0) for i in range(c["num_hidden_layers"])]


def rotary_dim(c):
    return int(c["head_dim"] * c.get("partial_rotary_factor", 1.0))


def inverse_frequencies(c, theta, scaling, sequence_length):
    """(inv_freq, cos/sin multiplier) for one forward call whose positions end at sequence_length."""
    dim = rotary_dim(c)
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    if scaling is None:
        return 1.0 / (theta ** exponents), 1.0
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":
        return 1.0 / (theta ** exponents) / scaling["factor"], 1.0
    if kind in ("longrope", "su"):
        original = c["original_max_position_embeddings"]
        factor = c["max_position_embeddings"] / original
        attention = math.sqrt(1 + math.log(factor) / math.log(original)) if factor > 1 else 1.0
        chosen = scaling["long_factor"] if sequence_length > original else scaling["short_factor"]
        return 1.0 / (torch.tensor(chosen, dtype=torch.float32) * theta ** exponents), attention
    raise ValueError(kind)


def angles(c, sliding, start, length):
    if c["model_type"] == "gemma3_text" and sliding:
        inv, scale = inverse_frequencies(c, c["rope_local_base_freq"], None, start + length)
    else:
        inv, scale = inverse_frequencies(c, c["rope_theta"], c.get("rope_scaling"), start + length)
    positions = torch.arange(start, start + length, dtype=torch.float32)
    freqs = torch.outer(positions, inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos() * scale, emb.sin() * scale


# ---- the forward pass ----

def rms_norm(x, weight, eps, gemma):
    x32 = x.float()
    normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    if gemma:
        return (normed * (1.0 + weight.float())).type_as(x)
    return weight * normed.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x, cos, sin):
    dim = cos.shape[-1]
    rot, passthrough = x[..., :dim], x[..., dim:]
    return torch.cat([rot * cos + rotate_half(rot) * sin, passthrough], dim=-1)


def attention(c, w, i, x, start, cache):
    """x [T, C] at positions start..; cache: dict layer -> (k, v) [KV, S, D], extended in place."""
    p = f"model.layers.{i}.self_attn."
    heads, kv_heads, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    t = x.shape[0]
    if c["model_type"] == "phi3":
        qkv = x @ w[p + "qkv_proj.weight"].T
        q, k, v = qkv.split([heads * d, kv_heads * d, kv_heads * d], dim=-1)
    else:
        q, k, v = (x @ w[p + n + "_proj.weight"].T for n in "qkv")
        if p + "q_proj.bias" in w:
            q, k, v = q + w[p + "q_proj.bias"], k + w[p + "k_proj.bias"], v + w[p + "v_proj.bias"]
    q = q.view(t, heads, d).transpose(0, 1)
    k = k.view(t, kv_heads, d).transpose(0, 1)
    v = v.view(t, kv_heads, d).transpose(0, 1)
    gemma = c["model_type"] == "gemma3_text"
    if c["model_type"] in ("qwen3", "gemma3_text"):
        q = rms_norm(q, w[p + "q_norm.weight"], c["rms_norm_eps"], gemma)
        k = rms_norm(k, w[p + "k_norm.weight"], c["rms_norm_eps"], gemma)
    sliding = layer_types(c)[i] == "sliding_attention"
    if uses_rope(c)[i]:
        cos, sin = angles(c, sliding, start, t)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    if cache is not None:
        if i in cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        cache[i] = (k, v)
    groups = heads // kv_heads
    k = k.repeat_interleave(groups, dim=0)
    v = v.repeat_interleave(groups, dim=0)
    scaling = c["query_pre_attn_scalar"] ** -0.5 if gemma else d ** -0.5
    scores = (q @ k.transpose(-1, -2)) * scaling  # [H, T, S]
    query_pos = torch.arange(start, start + t).unsqueeze(1)
    key_pos = torch.arange(0, k.shape[1]).unsqueeze(0)
    allowed = key_pos <= query_pos
    if sliding:
        allowed = allowed & (key_pos > query_pos - c["sliding_window"])
    scores = scores.masked_fill(~allowed, float("-inf"))
    probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    out = (probs @ v).transpose(0, 1).reshape(t, heads * d)
    return out @ w[p + "o_proj.weight"].T


def mlp(c, w, i, x):
    p = f"model.layers.{i}.mlp."
    # Gemma's MLP reads hidden_activation (its config's hidden_act is ignored); the others read hidden_act.
    kind = c["hidden_activation"] if c["model_type"] == "gemma3_text" else c["hidden_act"]
    act = (lambda g: torch.nn.functional.gelu(g, approximate="tanh")) if kind == "gelu_pytorch_tanh" \
        else torch.nn.functional.silu
    if c["model_type"] == "phi3":
        gate, up = (x @ w[p + "gate_up_proj.weight"].T).chunk(2, dim=-1)
    else:
        gate, up = x @ w[p + "gate_proj.weight"].T, x @ w[p + "up_proj.weight"].T
    return (act(gate) * up) @ w[p + "down_proj.weight"].T


def forward(c, w, ids, start=0, cache=None):
    """Logits [T, V] for token ids at positions start.., through the cache when given."""
    gemma = c["model_type"] == "gemma3_text"
    eps = c["rms_norm_eps"]
    h = w["model.embed_tokens.weight"][ids]
    if gemma:
        h = h * torch.tensor(c["hidden_size"] ** 0.5).to(h.dtype)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        attn = attention(c, w, i, rms_norm(h, w[p + "input_layernorm.weight"], eps, gemma), start, cache)
        if gemma:
            h = h + rms_norm(attn, w[p + "post_attention_layernorm.weight"], eps, True)
            ff = mlp(c, w, i, rms_norm(h, w[p + "pre_feedforward_layernorm.weight"], eps, True))
            h = h + rms_norm(ff, w[p + "post_feedforward_layernorm.weight"], eps, True)
        else:
            h = h + attn
            h = h + mlp(c, w, i, rms_norm(h, w[p + "post_attention_layernorm.weight"], eps, False))
    h = rms_norm(h, w["model.norm.weight"], eps, gemma)
    head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
    logits = h @ head.T
    if c.get("final_logit_softcapping"):
        cap = c["final_logit_softcapping"]
        logits = torch.tanh(logits / cap) * cap
    return logits


# ---- random checkpoints ----

def random_weights(c, generator):
    def normal(*shape, std):
        return torch.randn(*shape, generator=generator) * std

    gemma = c["model_type"] == "gemma3_text"

    def norm(size):  # Gemma stores offsets from one
        return normal(size, std=0.1) + (0.0 if gemma else 1.0)

    heads, kv_heads, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    hidden, inter = c["hidden_size"], c["intermediate_size"]
    std = 0.8 / math.sqrt(hidden)  # peaked enough that greedy decoding has clear winners
    # Gemma multiplies embeddings by √hidden: smaller ones keep its residual stream at the others' scale.
    w = {"model.embed_tokens.weight": normal(c["vocab_size"], hidden, std=0.25 / math.sqrt(hidden) if gemma else 1.0),
         "model.norm.weight": norm(hidden)}
    if not c["tie_word_embeddings"]:
        w["lm_head.weight"] = normal(c["vocab_size"], hidden, std=4 * std)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm(hidden)
        w[p + "post_attention_layernorm.weight"] = norm(hidden)
        if gemma:
            w[p + "pre_feedforward_layernorm.weight"] = norm(hidden)
            w[p + "post_feedforward_layernorm.weight"] = norm(hidden)
        a = p + "self_attn."
        if c["model_type"] == "phi3":
            w[a + "qkv_proj.weight"] = normal((heads + 2 * kv_heads) * d, hidden, std=4 * std)
            w[p + "mlp.gate_up_proj.weight"] = normal(2 * inter, hidden, std=4 * std)
        else:
            w[a + "q_proj.weight"] = normal(heads * d, hidden, std=4 * std)
            w[a + "k_proj.weight"] = normal(kv_heads * d, hidden, std=4 * std)
            w[a + "v_proj.weight"] = normal(kv_heads * d, hidden, std=4 * std)
            w[p + "mlp.gate_proj.weight"] = normal(inter, hidden, std=4 * std)
            w[p + "mlp.up_proj.weight"] = normal(inter, hidden, std=4 * std)
        if c["model_type"] == "qwen2":
            for n in "qkv":
                w[a + n + "_proj.bias"] = normal(w[a + n + "_proj.weight"].shape[0], std=0.5)
        if c["model_type"] in ("qwen3", "gemma3_text"):
            w[a + "q_norm.weight"] = norm(d)
            w[a + "k_norm.weight"] = norm(d)
        w[a + "o_proj.weight"] = normal(hidden, heads * d, std=4 * std)
        w[p + "mlp.down_proj.weight"] = normal(hidden, inter, std=4 * std)
    # The checkpoint stores bf16: the reference computes with exactly the stored values (1 + x is rounded again).
    return {name: value.to(torch.bfloat16).float() for name, value in w.items()}


def greedy(c, w, prompt):
    """Greedy decoding with a KV cache, one token per step, as generate() runs it."""
    cache = {}
    logits = forward(c, w, prompt, 0, cache)[-1]
    generated, step_logits, gaps = [], [], []
    position = len(prompt)
    for _ in range(NEW_TOKENS):
        top = torch.topk(logits, 2).values
        gaps.append(float(top[0] - top[1]))
        token = int(torch.argmax(logits))
        generated.append(token)
        step_logits.append(logits)
        logits = forward(c, w, torch.tensor([token]), position, cache)[-1]
        position += 1
    return generated, torch.stack(step_logits), min(gaps)


def main():
    out = pathlib.Path(sys.argv[1])
    torch.set_grad_enabled(False)
    for name, case in CASES.items():
        c = full_config(case)
        # A seed whose greedy path has no near-ties, so that rounding differences cannot flip a token, and that does
        # not collapse into repeating a few tokens (which would test little).
        for seed in range(1, 100):
            generator = torch.Generator().manual_seed(seed)
            w = random_weights(c, generator)
            ids = torch.randint(3, VOCAB, (SEQUENCE,), generator=generator)
            prompt = torch.randint(3, VOCAB, (PROMPT,), generator=generator)
            generated, cache_logits, gap = greedy(c, w, prompt)
            if gap > 1e-3 and 2 not in generated and len(set(generated)) >= 12:
                break
        else:
            raise RuntimeError(f"{name}: no seed below 100 gives a clear, varied greedy path")
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(c, indent=2))
        save_file({k: v.to(torch.bfloat16).contiguous() for k, v in w.items()}, str(folder / "model.safetensors"),
                  metadata={"format": "pt"})
        # Ids are stored as float32 (exact for these values): the library's safetensors reader takes float dtypes only.
        save_file({"input_ids": ids.float(), "logits": forward(c, w, ids).contiguous(), "prompt_ids": prompt.float(),
                   "generated_ids": torch.tensor(generated).float(), "cache_logits": cache_logits.contiguous()},
                  str(folder / "reference.safetensors"))
        print(f"{name}: seed {seed}, smallest greedy margin {gap:.4f}, {sum(v.numel() for v in w.values())} weights")


if __name__ == "__main__":
    main()
