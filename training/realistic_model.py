#!/usr/bin/env python3
"""A realistic-size drafter with the ONNX interface of a hospital's Hugging Face export (issue 23).

Builds, with Debian python3-torch only (no transformers, no optimum), a ViT-B/16 encoder
(224x224, 3 channels, 12 layers, 768 wide, ~86 M parameters) and a 6-layer GPT-2-style decoder
(768 wide, 12 heads, cross-attention in every block, GPT-2's 50,257-token vocabulary size) and
exports them to exactly the files, tensor names, shapes and optional inputs that
`optimum-cli export onnx --task image-to-text-with-past` writes for a VisionEncoderDecoderModel
with a GPT-2 decoder. WEIGHTS ARE RANDOM (seeded): the model drafts nonsense and exists to prove
the interface and to measure speed and memory, which do not depend on the weights.

Tensor names, checked against Optimum (huggingface/optimum, optimum/exporters/onnx/, commit
843bd5d02691e958d0e404d00b28179b7374f7ea, the last before the exporters moved to optimum-onnx):
  - model_configs.py VisionEncoderDecoderOnnxConfig.inputs: encoder `pixel_values`
    {0: batch_size, 1: num_channels, 2: height, 3: width}; decoder `decoder_input_ids` and
    `encoder_outputs`, renamed by config.py EncoderDecoderBaseOnnxConfig.torch_to_onnx_input_map to
    `input_ids` and `encoder_hidden_states` (no decoder attention_mask: the base config pops it);
  - config.py EncoderDecoderBaseOnnxConfig.add_past_key_values: a decoder whose own config is an
    OnnxConfigWithPast but not a seq2seq one (GPT2OnnxConfig) names the cache itself, so
    base.py OnnxConfigWithPast.add_past_key_values gives `past_key_values.{i}.key/value` (inputs,
    axis 2 past_sequence_length) and `present.{i}.key/value` (outputs) - self-attention only; GPT-2
    recomputes the cross-attention keys/values from `encoder_hidden_states` at every step;
  - base.py OnnxSeq2SeqConfigWithPast.outputs: `logits` plus the present.* of every layer, from both
    decoder files; encoder output `last_hidden_state` (ViT feature-extraction outputs).
transformers.js (models.js, the VisionEncoderDecoder / decoder forward) feeds `attention_mask`,
`position_ids` and `encoder_attention_mask` only when the session lists them; `--masks` exports the
first two (what GPT2OnnxConfig's own text-generation export, TextDecoderWithPositionIdsOnnxConfig,
adds), so RadDraft is also tested against a decoder that asks for them.

Usage:
  realistic_model.py build OUT [--tiny] [--masks] [--max-length N] [--seed S]
  realistic_model.py quantize SRC DST     # INT8 dynamic quantisation, see quantize()
  realistic_model.py eager DIR INPUTS OUT # PyTorch eager greedy decode of DIR's weights (bench)
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "models", "reference-cxr")

FULL = dict(image=224, patch=16, channels=3, enc_dim=768, enc_layers=12, enc_heads=12, enc_mlp=3072,
            dec_dim=768, dec_layers=6, dec_heads=12, dec_mlp=3072, vocab=50257, positions=1024)
# same architecture and interface, small dims: a few MB, exported in seconds (the test builds it)
TINY = dict(image=224, patch=16, channels=3, enc_dim=64, enc_layers=2, enc_heads=4, enc_mlp=128,
            dec_dim=64, dec_layers=2, dec_heads=4, dec_mlp=128, vocab=None, positions=256)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, d))


class VitBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln1 = nn.LayerNorm(c["enc_dim"], eps=1e-12)
        self.attn = Attention(c["enc_dim"], c["enc_heads"])
        self.ln2 = nn.LayerNorm(c["enc_dim"], eps=1e-12)
        self.fc1 = nn.Linear(c["enc_dim"], c["enc_mlp"])
        self.fc2 = nn.Linear(c["enc_mlp"], c["enc_dim"])

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViTEncoder(nn.Module):
    """ViTModel without pooler: patch embedding, [CLS], learned positions, pre-LN blocks, final LN."""

    def __init__(self, c):
        super().__init__()
        n = (c["image"] // c["patch"]) ** 2
        self.patch = nn.Conv2d(c["channels"], c["enc_dim"], c["patch"], stride=c["patch"])
        self.cls = nn.Parameter(torch.randn(1, 1, c["enc_dim"]) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, c["enc_dim"]) * 0.02)
        self.blocks = nn.ModuleList([VitBlock(c) for _ in range(c["enc_layers"])])
        self.ln = nn.LayerNorm(c["enc_dim"], eps=1e-12)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.ln(x)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2Block(nn.Module):
    """GPT-2 block with add_cross_attention: self-attention (cached), cross-attention (recomputed), MLP."""

    def __init__(self, c):
        super().__init__()
        d = c["dec_dim"]
        self.heads, self.hd = c["dec_heads"], d // c["dec_heads"]
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_cross_attn = nn.LayerNorm(d)
        self.q_attn = nn.Linear(d, d)
        self.kv_attn = nn.Linear(c["enc_dim"], 2 * d)
        self.cross_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, c["dec_mlp"])
        self.mlp_proj = nn.Linear(c["dec_mlp"], d)

    def split(self, x):
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.hd).transpose(1, 2)

    def forward(self, x, enc, past_k, past_v, bias, cross=None):
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias, dim=-1)
        x = x + self.attn_proj((a @ v).transpose(1, 2).reshape(b, t, d))
        q = self.split(self.q_attn(self.ln_cross_attn(x)))
        if cross is None:
            ck, cv = self.kv_attn(enc).split(d, dim=2)
            cross = (self.split(ck), self.split(cv))
        a = torch.softmax(q @ cross[0].transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        x = x + self.cross_proj((a @ cross[1]).transpose(1, 2).reshape(b, t, d))
        x = x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))
        return x, k, v, cross


class Gpt2Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["dec_dim"])
        self.wpe = nn.Embedding(c["positions"], c["dec_dim"])
        self.h = nn.ModuleList([Gpt2Block(c) for _ in range(c["dec_layers"])])
        self.ln_f = nn.LayerNorm(c["dec_dim"])
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)

    def forward(self, input_ids, enc, past=None, attention_mask=None, position_ids=None, cross=None):
        """cross: per layer the cross-attention (key, value) [B, heads, S, head_dim], computed from enc when None;
        returns (logits, [(self key, self value)], [(cross key, cross value)])"""
        t = input_ids.shape[1]
        p = past[0][0].shape[2] if past is not None else 0
        if position_ids is None:
            position_ids = (torch.arange(t, dtype=torch.long) + p).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        # causal: query i (absolute p + i) sees keys 0 .. p + i
        qpos = (torch.arange(t, dtype=torch.long) + p).unsqueeze(1)
        kpos = torch.arange(p + t, dtype=torch.long).unsqueeze(0)
        bias = torch.where(kpos <= qpos, torch.zeros(()), torch.full((), -1e9))[None, None]
        if attention_mask is not None:
            bias = bias + (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -1e9
        present, crosses = [], []
        for i, blk in enumerate(self.h):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v, c = blk(x, enc, pk, pv, bias, cross[i] if cross is not None else None)
            present.append((k, v))
            crosses.append(c)
        return self.ln_f(x) @ self.wte.weight.t(), present, crosses


class Drafter(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = ViTEncoder(c)
        self.decoder = Gpt2Decoder(c)


class EncoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encoder(pixel_values)


class DecoderExport(nn.Module):
    def __init__(self, m, layers, with_past, masks, seq2seq=False):
        super().__init__()
        self.m, self.layers, self.with_past, self.masks, self.seq2seq = m, layers, with_past, masks, seq2seq

    def forward(self, input_ids, encoder_hidden_states, *rest):
        rest = list(rest)
        attention_mask = position_ids = None
        if self.masks:
            attention_mask, position_ids = rest[0], rest[1]
            rest = rest[2:]
        past = cross = None
        per = 4 if self.seq2seq else 2
        if self.with_past:
            past = [(rest[per * i], rest[per * i + 1]) for i in range(self.layers)]
            if self.seq2seq:
                cross = [(rest[per * i + 2], rest[per * i + 3]) for i in range(self.layers)]
        logits, present, crosses = self.m.decoder(input_ids, encoder_hidden_states, past, attention_mask,
                                                  position_ids, cross)
        out = [logits]
        for (k, v), (ck, cv) in zip(present, crosses):
            out += [k, v]
            if self.seq2seq and not self.with_past:
                out += [ck, cv]
        return tuple(out)


def names(layers, with_past, masks, seq2seq=False):
    """GPT-2 layout: past_key_values.{i}.key/value, present.{i}.key/value (self-attention only).
    seq2seq layout (Optimum's OnnxSeq2SeqConfigWithPast, e.g. a TrOCR or MBart decoder):
    past_key_values.{i}.decoder/encoder.key/value in, present.{i}.decoder.key/value out, and the
    cross-attention present.{i}.encoder.key/value from decoder_model only (computed once per study)."""
    ins = ["input_ids", "encoder_hidden_states"] + (["attention_mask", "position_ids"] if masks else [])
    axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    if masks:
        axes["attention_mask"] = {0: "batch_size", 1: "past_sequence_length + sequence_length"}
        axes["position_ids"] = {0: "batch_size", 1: "decoder_sequence_length"}
    outs = ["logits"]
    self_kv = [("decoder." if seq2seq else "") + kv for kv in ("key", "value")]
    cross_kv = ["encoder.key", "encoder.value"] if seq2seq else []
    for i in range(layers):
        for kv in self_kv + cross_kv:
            if with_past:
                ins.append(f"past_key_values.{i}.{kv}")
                axes[ins[-1]] = {0: "batch_size", 2: "encoder_sequence_length_out" if kv.startswith("encoder")
                                 else "past_sequence_length"}
            if kv in self_kv or not with_past:
                outs.append(f"present.{i}.{kv}")
                axes[outs[-1]] = {0: "batch_size", 2: "encoder_sequence_length_out" if kv.startswith("encoder")
                                  else "past_sequence_length + 1"}
    return ins, outs, axes


def export(m, c, out, masks, seq2seq=False):
    m.eval()
    b, layers, h, hd = 1, c["dec_layers"], c["dec_heads"], c["dec_dim"] // c["dec_heads"]
    px = torch.randn(b, c["channels"], c["image"], c["image"])
    with torch.no_grad():
        torch.onnx.export(EncoderExport(m), (px,), os.path.join(out, "encoder_model.onnx"), opset_version=14,
                          input_names=["pixel_values"], output_names=["last_hidden_state"],
                          dynamic_axes={"pixel_values": {0: "batch_size"},
                                        "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
        enc = m.encoder(px)
        for with_past, file in ((False, "decoder_model.onnx"), (True, "decoder_with_past_model.onnx")):
            t, p = (1, 3) if with_past else (2, 0)
            args = [torch.full((b, t), 5, dtype=torch.long), enc]
            if masks:
                args += [torch.ones(b, p + t, dtype=torch.long), (torch.arange(t) + p).unsqueeze(0)]
            if with_past:
                for _ in range(layers):
                    args += [torch.randn(b, h, p, hd), torch.randn(b, h, p, hd)]
                    if seq2seq:
                        args += [torch.randn(b, h, enc.shape[1], hd), torch.randn(b, h, enc.shape[1], hd)]
            ins, outs, axes = names(layers, with_past, masks, seq2seq)
            torch.onnx.export(DecoderExport(m, layers, with_past, masks, seq2seq), tuple(args),
                              os.path.join(out, file), opset_version=14, input_names=ins, output_names=outs,
                              dynamic_axes=axes)
    merge(out)


def merge(out):
    """decoder_model_merged.onnx as Optimum's post-processing writes it (optimum/onnx/graph_transformations.py
    merge_decoders): one If node on the bool[1] input `use_cache_branch` whose then-branch is
    decoder_with_past_model's graph and else-branch decoder_model's, the union of both files' inputs, and
    each distinct initializer once in the outer graph (both branches read it from there), so the decoder's
    weights are held once instead of twice. Outputs missing from the with-past branch (the seq2seq
    layout's present.{i}.encoder.*, which do not change) pass its past_key_values.{i}.encoder.* through."""
    import hashlib
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    d = onnx.load(os.path.join(out, "decoder_model.onnx"))
    p = onnx.load(os.path.join(out, "decoder_with_past_model.onnx"))
    inits, by_content = [], {}
    for g in (d.graph, p.graph):
        rename = {}
        for i in g.initializer:
            data = i.raw_data if i.HasField("raw_data") else numpy_helper.to_array(i).tobytes()
            key = (i.data_type, tuple(i.dims), hashlib.sha256(data).hexdigest())
            if key not in by_content:
                by_content[key] = "%s_merged_%d" % (i.name, len(inits))
                c = TensorProto()
                c.CopyFrom(i)
                c.name = by_content[key]
                inits.append(c)
            rename[i.name] = by_content[key]
        for n in g.node:
            for k, x in enumerate(n.input):
                if x in rename:
                    n.input[k] = rename[x]
        del g.initializer[:]
    outs = [o.name for o in d.graph.output]
    past_outs = {o.name for o in p.graph.output}
    for o in outs:
        if o not in past_outs:  # seq2seq: the cross-attention K/V do not change with the cache
            p.graph.node.append(helper.make_node("Identity", [o.replace("present.", "past_key_values.")], [o],
                                                 "passthrough_" + o))
            p.graph.output.append([x for x in d.graph.output if x.name == o][0])
    order = {o: k for k, o in enumerate(outs)}
    with_past_outs = sorted(p.graph.output, key=lambda x: order[x.name])
    del p.graph.output[:]
    p.graph.output.extend(with_past_outs)
    seen, inputs = set(), []
    for g in (d.graph, p.graph):
        for i in g.input:
            if i.name not in seen:
                seen.add(i.name)
                inputs.append(i)
    no_past = helper.make_graph(list(d.graph.node), "no_past", [], list(d.graph.output))
    with_past = helper.make_graph(list(p.graph.node), "with_past", [], list(p.graph.output))
    use_cache = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    node = helper.make_node("If", ["use_cache_branch"], outs, "optimum::if", then_branch=with_past, else_branch=no_past)
    g = helper.make_graph([node], "merged", inputs + [use_cache], list(d.graph.output), inits)
    m = helper.make_model(g, producer_name="optimum-onnx (training/realistic_model.py merge)",
                          opset_imports=list(d.opset_import))
    m.ir_version = d.ir_version
    onnx.save(m, os.path.join(out, "decoder_model_merged.onnx"))
    print("%s: decoder_model_merged.onnx, %d distinct initializers" % (out, len(inits)))


def tokenizer(vocab_size, out):
    """The reference model's WordPiece tokenizer, its vocabulary padded with [unusedN] to vocab_size."""
    t = json.load(open(os.path.join(REFERENCE, "tokenizer.json")))
    v = t["model"]["vocab"]
    n = len(v)
    if vocab_size is not None:
        for i in range(n, vocab_size):
            v[f"[unused{i}]"] = i
    json.dump(t, open(os.path.join(out, "tokenizer.json"), "w"))
    return len(v)


def build(a):
    c = dict(TINY if a.tiny else FULL)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    c["vocab"] = tokenizer(c["vocab"], a.out)
    t0 = time.time()
    m = Drafter(c)
    params = sum(p.numel() for p in m.parameters())
    enc_params = sum(p.numel() for p in m.encoder.parameters())
    export(m, c, a.out, a.masks, a.layout == "seq2seq")
    torch.save({"config": c, "state_dict": m.state_dict()}, os.path.join(a.out, "weights.pt"))
    gen = {"bos_token_id": 2, "eos_token_id": 3, "pad_token_id": 0, "decoder_start_token_id": 2,
           "max_length": a.max_length, "num_beams": 1}
    pre = {"image_processor_type": "ViTImageProcessor", "do_resize": True,
           "size": {"height": c["image"], "width": c["image"]}, "resample": 2, "do_rescale": True,
           "rescale_factor": 0.00392156862745098, "do_normalize": True,
           "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
    cfg = {"model_type": "vision-encoder-decoder", "architectures": ["VisionEncoderDecoderModel"],
           "is_encoder_decoder": True, "decoder_start_token_id": 2, "pad_token_id": 0, "eos_token_id": 3,
           "encoder": {"model_type": "vit", "image_size": c["image"], "patch_size": c["patch"],
                       "num_channels": c["channels"], "hidden_size": c["enc_dim"],
                       "num_hidden_layers": c["enc_layers"], "num_attention_heads": c["enc_heads"],
                       "intermediate_size": c["enc_mlp"]},
           "decoder": {"model_type": "gpt2", "add_cross_attention": True, "n_embd": c["dec_dim"],
                       "n_layer": c["dec_layers"], "n_head": c["dec_heads"], "n_inner": c["dec_mlp"],
                       "n_positions": c["positions"], "vocab_size": c["vocab"], "is_decoder": True}}
    name = "raddraft-realistic-cxr" + ("-tiny" if a.tiny else "")
    manifest = {
        "schema": "raddraft-model/1", "name": name, "version": "0.1.0",
        "intended_use": "Interface and speed test model with RANDOM WEIGHTS: ViT-B/16 + 6-layer GPT-2 decoder "
                        "exported like Optimum image-to-text-with-past. Drafts are nonsense; NOT FOR CLINICAL USE.",
        "training_data": {"statement": "none: random weights (seed %d)" % a.seed},
        "architecture": {"drafter": "ViT encoder %d layers x %d + GPT-2 decoder %d layers x %d, %d heads, "
                                    "cross-attention, %s cache layout; %.1f M parameters (encoder %.1f M)"
                                    % (c["enc_layers"], c["enc_dim"], c["dec_layers"], c["dec_dim"], c["dec_heads"], a.layout,
                                       params / 1e6, enc_params / 1e6)},
        "inputs": {"tensor": "pixel_values", "dtype": "float32", "layout": "[batch, channels, height, width]",
                   "image_size": c["image"],
                   "views": [{"index": 0, "name": "frontal", "accepts": ["PA", "AP"], "required": True}],
                   "preprocessing": "ViTImageProcessor: resize to 224x224 (bilinear, no padding), x/255, "
                                    "(x-0.5)/0.5; the grey frontal image repeated in the 3 channels"},
        "output": {"text_format": "FINDINGS: ... IMPRESSION: ...", "max_length": a.max_length},
        "thresholds": {"sequence_logprob": {"mean_per_token": -99.0, "min_per_token": -99.0}},
        "quantization": None,
    }
    for f, obj in (("generation_config.json", gen), ("preprocessor_config.json", pre), ("config.json", cfg),
                   ("raddraft-model.json", manifest)):
        with open(os.path.join(a.out, f), "w") as fh:
            json.dump(obj, fh, indent=1)
    print("built %s: %.1f M parameters (encoder %.1f M), vocab %d, masks=%s, in %.0f s"
          % (a.out, params / 1e6, enc_params / 1e6, c["vocab"], a.masks, time.time() - t0))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out")
    b.add_argument("--tiny", action="store_true")
    b.add_argument("--masks", action="store_true", help="decoder inputs attention_mask and position_ids")
    b.add_argument("--layout", choices=("gpt2", "seq2seq"), default="gpt2",
                   help="decoder cache layout: gpt2 (Optimum's export of a GPT-2 decoder: self-attention cache "
                        "only, cross-attention recomputed every token) or seq2seq (Optimum's export of a "
                        "TrOCR/MBart-style decoder: the cross-attention keys/values cached once per study)")
    b.add_argument("--max-length", type=int, default=96)
    b.add_argument("--seed", type=int, default=23)
    q = sub.add_parser("quantize")
    q.add_argument("src")
    q.add_argument("dst")
    g = sub.add_parser("merge", help="(re)write DIR/decoder_model_merged.onnx from DIR's two decoder files")
    g.add_argument("dir")
    e = sub.add_parser("eager")
    e.add_argument("dir")
    e.add_argument("inputs")
    e.add_argument("out")
    e.add_argument("--batch", type=int, default=1)
    e.add_argument("--warmup", type=int, default=0)
    e.add_argument("--limit", type=int, default=0, help="only the first N studies of INPUTS")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    if a.cmd == "build":
        build(a)
    elif a.cmd == "merge":
        merge(a.dir)
    elif a.cmd == "quantize":
        import quantize_int8
        quantize_int8.quantize_dir(a.src, a.dst)
    else:
        eager(a)


def read_inputs(path):
    """InferenceBench.writeInputs: a little-endian int32 header N, C, S, S, then float32 values."""
    raw = open(path, "rb").read()
    n, c, h, w = np.frombuffer(raw[:16], dtype="<i4")
    return np.frombuffer(raw[16:], dtype="<f4").reshape(n, c, h, w).copy()


def eager(a):
    """PyTorch eager greedy decode with the KV cache on the directory's weights.pt, same inputs as the
    Java side (InferenceBench.writeInputs), --batch studies per call; stop at eos or max_length."""
    ck = torch.load(os.path.join(a.dir, "weights.pt"))
    m = Drafter(ck["config"])
    m.load_state_dict(ck["state_dict"])
    m.eval()
    gen = json.load(open(os.path.join(a.dir, "generation_config.json")))
    px = torch.from_numpy(read_inputs(a.inputs))
    if a.limit:
        px = px[:a.limit]
    tokens, ms = [], []
    with torch.no_grad():
        for _ in range(a.warmup):
            greedy(m, px[:a.batch], gen)
        for i in range(0, px.shape[0], a.batch):
            t0 = time.perf_counter()
            tokens += greedy(m, px[i:i + a.batch], gen)
            ms.append((time.perf_counter() - t0) * 1000 / px[i:i + a.batch].shape[0])
    json.dump({"tokens": tokens, "ms_per_study": ms, "threads": torch.get_num_threads()}, open(a.out, "w"))


def greedy(m, px, gen):
    enc = m.encoder(px)
    b = px.shape[0]
    ids = torch.full((b, 1), gen["decoder_start_token_id"], dtype=torch.long)
    past, out, done = None, [[] for _ in range(b)], [False] * b
    for _ in range(gen["max_length"] - 1):
        logits, past, _ = m.decoder(ids, enc, past)
        nxt = logits[:, -1].argmax(-1)
        for r in range(b):
            if not done[r]:
                out[r].append(int(nxt[r]))
                done[r] = int(nxt[r]) == gen["eos_token_id"]
        if all(done):
            break
        ids = torch.where(torch.tensor(done), torch.full_like(nxt, gen["pad_token_id"]), nxt).unsqueeze(1)
    return out


if __name__ == "__main__":
    main()
