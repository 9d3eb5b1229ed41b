"""Export trained checkpoints to the RadDraft model contract (docs/model-contract.md).

Writes into OUT: encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx,
classifier.onnx, tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt,
config.json, generation_config.json, preprocessor_config.json, labels.json.
(raddraft-model.json and metrics.json are written by evaluate.py, which needs the metrics.)
"""
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from common import BOS_ID, EOS_ID, OBSERVATIONS, PAD_ID, UNK_ID, VIEWS, SPECIAL_TOKENS
from models import Classifier, Drafter
import tokenizer_build as tb

OPSET = 17
# per-observation finding-token thresholds, written into the checkpoint by package.py (calibrate_tokens)
TOKEN_THRESHOLDS = "token_thresholds.json"


def load_models(ckpt):
    with open(os.path.join(ckpt, "train_config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(ckpt, "vocab.json")) as f:
        vocab = json.load(f)
    drafter = Drafter(len(vocab), cfg["size"], len(OBSERVATIONS), cfg["d_model"], cfg["enc_cfg"],
                      cfg["dec_layers"], cfg["heads"], cfg["max_positions"])
    drafter.load_state_dict(torch.load(os.path.join(ckpt, "drafter.pt")))
    thresholds = os.path.join(ckpt, TOKEN_THRESHOLDS)
    if drafter.encoder.hard_tokens and os.path.exists(thresholds):
        with open(thresholds) as f:
            logit = json.load(f)["logit"]
        drafter.encoder.token_threshold.copy_(torch.tensor([logit[o] for o in OBSERVATIONS]))
    clf = Classifier(len(OBSERVATIONS), **cfg.get("clf_cfg", {}))
    clf.load_state_dict(torch.load(os.path.join(ckpt, "classifier.pt")))
    return cfg, vocab, deployable(drafter), deployable(clf)


def _fuse_bn(module):
    """Fold every BatchNorm2d into the Conv2d before it (eval statistics), in place."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Sequential):
            mods = list(child)
            for i in range(len(mods) - 1):
                if isinstance(mods[i], nn.Conv2d) and isinstance(mods[i + 1], nn.BatchNorm2d):
                    child[i] = fuse_conv_bn_eval(mods[i], mods[i + 1])
                    child[i + 1] = nn.Identity()
        _fuse_bn(child)


@torch.no_grad()
def deployable(model):
    """The exact model that is exported and evaluated: eval mode, BatchNorm folded into the convs,
    every weight rounded to float16 precision (the ONNX files store them as float16, see
    _fp16_storage; arithmetic stays float32)."""
    model.eval()
    _fuse_bn(model)
    for t in list(model.parameters()) + list(model.buffers()):
        if t.dtype == torch.float32:
            t.copy_(t.half().float())
    return model


def _fp16_storage(path, min_elems=64):
    """Store float32 initializers that are exactly representable in float16 as float16 + Cast.
    ONNX Runtime folds the Casts when it loads the model, so the numbers it computes with are the
    float32 values PyTorch used. Halves the file size."""
    m = onnx.load(path)
    g = m.graph
    keep, casts = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if (init.data_type == onnx.TensorProto.FLOAT and arr.size >= min_elems
                and np.array_equal(arr.astype(np.float16).astype(np.float32), arr)):
            keep.append(numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16"))
            casts.append(onnx.helper.make_node("Cast", [init.name + "_fp16"], [init.name],
                                               name=init.name + "_cast", to=onnx.TensorProto.FLOAT))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.save(m, path)


class EncoderWrap(nn.Module):
    def __init__(self, d):
        super().__init__(); self.d = d

    def forward(self, pixel_values):
        return self.d.encoder(pixel_values)


class DecoderWrap(nn.Module):
    """decoder_model: first step(s), computes the cross-attention K/V from encoder_hidden_states."""

    def __init__(self, d):
        super().__init__(); self.dec = d.decoder

    def forward(self, input_ids, encoder_hidden_states):
        enc_kv = self.dec.cross_kv(encoder_hidden_states)
        logits, presents = self.dec(input_ids, encoder_hidden_states, enc_kv)
        out = [logits]
        for (k, v), (ek, ev) in zip(presents, enc_kv):
            out += [k, v, ek, ev]
        return tuple(out)


class DecoderWithPastWrap(nn.Module):
    def __init__(self, d):
        super().__init__(); self.dec = d.decoder

    def forward(self, input_ids, encoder_hidden_states, *past):
        n = self.dec.n_layers
        self_past = [(past[4 * i], past[4 * i + 1]) for i in range(n)]
        enc_kv = [(past[4 * i + 2], past[4 * i + 3]) for i in range(n)]
        logits, presents = self.dec(input_ids, encoder_hidden_states, enc_kv, self_past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


class ClassifierWrap(nn.Module):
    def __init__(self, c):
        super().__init__(); self.c = c

    def forward(self, pixel_values):
        logits = self.c(pixel_values)
        return logits, torch.sigmoid(logits)


def _ensure_input(path, name, elem_type, dims):
    """torch drops unused graph inputs; the contract keeps encoder_hidden_states on
    decoder_with_past (Optimum's interface) although cross-attention K/V come from the cache."""
    m = onnx.load(path)
    if name not in [i.name for i in m.graph.input]:
        vi = onnx.helper.make_tensor_value_info(name, elem_type, dims)
        m.graph.input.insert(1, vi)
        onnx.save(m, path)


def export_drafter(drafter, size, n_layers, heads, d, out, compress=True):
    """The drafter's three ONNX files (Optimum names) into out; returns the encoder sequence length.
    compress: store the weights as float16 (export_all does it for all four files at the end)."""
    px = torch.randn(2, len(VIEWS), size, size)
    with torch.no_grad():
        enc = drafter.encoder(px)
    s_len = enc.shape[1]

    torch.onnx.export(EncoderWrap(drafter), (px,), os.path.join(out, "encoder_model.onnx"),
                      input_names=["pixel_values"], output_names=["last_hidden_state"],
                      dynamic_axes={"pixel_values": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
                      opset_version=OPSET, do_constant_folding=True)

    ids = torch.tensor([[BOS_ID, 10, 11], [BOS_ID, 12, 13]])
    present_names = []
    for i in range(n_layers):
        present_names += [f"present.{i}.decoder.key", f"present.{i}.decoder.value",
                          f"present.{i}.encoder.key", f"present.{i}.encoder.value"]
    dyn = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
           "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
           "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for nme in present_names:
        dyn[nme] = {0: "batch_size", 2: "decoder_sequence_length" if ".decoder." in nme else "encoder_sequence_length"}
    torch.onnx.export(DecoderWrap(drafter), (ids, enc), os.path.join(out, "decoder_model.onnx"),
                      input_names=["input_ids", "encoder_hidden_states"],
                      output_names=["logits"] + present_names, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)

    with torch.no_grad():
        first = DecoderWrap(drafter)(ids, enc)
    past = list(first[1:])
    past_names = [n.replace("present.", "past_key_values.") for n in present_names]
    out_names = ["logits"] + [f"present.{i}.decoder.{kv}" for i in range(n_layers) for kv in ("key", "value")]
    dyn = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
           "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
           "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for nme in past_names:
        dyn[nme] = {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in nme else "encoder_sequence_length_out"}
    for nme in out_names[1:]:
        dyn[nme] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    nxt = torch.tensor([[14], [15]])
    p = os.path.join(out, "decoder_with_past_model.onnx")
    torch.onnx.export(DecoderWithPastWrap(drafter), (nxt, enc, *past), p,
                      input_names=["input_ids", "encoder_hidden_states"] + past_names,
                      output_names=out_names, dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    _ensure_input(p, "encoder_hidden_states", onnx.TensorProto.FLOAT, ["batch_size", "encoder_sequence_length", d])

    if compress:
        for f in ("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx"):
            _fp16_storage(os.path.join(out, f))
            onnx.checker.check_model(onnx.load(os.path.join(out, f)))
    return s_len


def export_all(ckpt, out):
    cfg, vocab, drafter, clf = load_models(ckpt)
    os.makedirs(out, exist_ok=True)
    n_layers, heads, d = cfg["dec_layers"], cfg["heads"], cfg["d_model"]
    size = cfg["size"]
    s_len = export_drafter(drafter, size, n_layers, heads, d, out, compress=False)
    px = torch.randn(2, len(VIEWS), size, size)
    hd = d // heads
    torch.onnx.export(ClassifierWrap(clf), (px,), os.path.join(out, "classifier.onnx"),
                      input_names=["pixel_values"], output_names=["logits", "probabilities"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "logits": {0: "batch_size"},
                                    "probabilities": {0: "batch_size"}},
                      opset_version=OPSET, do_constant_folding=True)
    for f in ("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx", "classifier.onnx"):
        _fp16_storage(os.path.join(out, f))
        onnx.checker.check_model(onnx.load(os.path.join(out, f)))

    # ---- tokenizer and configs
    tb.save(vocab, os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    tcfg = tb.tokenizer_config()
    _dump(tcfg, out, "tokenizer_config.json")
    _dump({k: tcfg[k] for k in ("pad_token", "unk_token", "bos_token", "eos_token", "cls_token", "sep_token")},
          out, "special_tokens_map.json")
    max_length = cfg["max_positions"]
    _dump({"bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "pad_token_id": PAD_ID,
           "decoder_start_token_id": BOS_ID, "max_length": max_length, "num_beams": 1,
           "do_sample": False, "early_stopping": True, "transformers_version": "4.40.0",
           "_raddraft_note": "max_length counts the decoder_start token; greedy (num_beams 1) is the reference "
                             "decode; beam search is allowed and uses the same files"},
          out, "generation_config.json")
    _dump({"image_processor_type": "RadDraftChestImageProcessor",
           "do_pad_square": True, "pad_value": 0,
           "do_resize": True, "size": {"height": size, "width": size}, "resample": 4,
           "resample_name": "box (area average); integer factors = exact mean of k x k blocks",
           "do_rescale": True, "rescale_factor": 1 / 255.0,
           "do_normalize": True, "image_mean": [cfg["image_mean"]] * len(VIEWS),
           "image_std": [cfg["image_std"]] * len(VIEWS),
           "num_channels": len(VIEWS), "channels": VIEWS,
           "input_bit_depth": 8, "photometric": "MONOCHROME2 (bone bright) after VOI window"},
          out, "preprocessor_config.json")
    _dump({"model_type": "vision-encoder-decoder", "architectures": ["RadDraftReferenceDrafter"],
           "is_encoder_decoder": True, "vocab_size": len(vocab), "decoder_start_token_id": BOS_ID,
           "bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "pad_token_id": PAD_ID,
           "encoder": {"model_type": "raddraft-cnn", "image_size": size, "num_channels": len(VIEWS),
                       "hidden_size": d, "sequence_length": s_len},
           "decoder": {"model_type": "raddraft-transformer-decoder", "num_layers": n_layers,
                       "num_attention_heads": heads, "head_dim": hd, "hidden_size": d,
                       "max_position_embeddings": cfg["max_positions"], "vocab_size": len(vocab)}},
          out, "config.json")
    _dump({"labels": OBSERVATIONS, "output": "classifier.onnx 'logits' (apply sigmoid) and "
                                             "'probabilities' (= sigmoid(logits)), one column per label"},
          out, "labels.json")
    return cfg, vocab, drafter, clf


def _dump(obj, out, name):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    import sys
    export_all(sys.argv[1], sys.argv[2])
