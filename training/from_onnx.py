"""Load an exported reference model (models/reference-cxr/*.onnx) back into the PyTorch modules of
models.py, so the learning loop (learn.py) starts from exactly the model the daemon runs, not from a
training checkpoint (which is not committed).

The ONNX files hold the *deployable* form (export.py): BatchNorm folded into the convolutions,
weights rounded to float16. The modules are therefore built with BatchNorm replaced by identity
and conv biases, and every initializer is copied by name; torch.onnx names the weights of Linear
layers that became MatMul "onnx::MatMul_N" (stored transposed), which are mapped back through the
name of the node that uses them.
"""
import json
import os
import re

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

from common import OBSERVATIONS
from models import Classifier, Drafter


def _initializers(path):
    """{name: float32 array, name of the node that consumes it (for onnx::MatMul_*)}."""
    m = onnx.load(path)
    arrays = {}
    for init in m.graph.initializer:
        name = init.name[:-5] if init.name.endswith("_fp16") else init.name
        arrays[name] = numpy_helper.to_array(init).astype(np.float32)
    users = {}
    for n in m.graph.node:
        if n.op_type == "MatMul":
            for x in n.input:
                if x.startswith("onnx::MatMul"):
                    users[x] = n.name
    return arrays, users


def _widths_blocks(arrays, prefix):
    """Backbone widths/blocks from the conv weight names: body.i.0 = a stride-2 conv, body.i.a = a ResBlock."""
    stages, blocks = [], []
    i = 0
    while True:
        conv = f"{prefix}backbone.body.{i}.0.weight"
        res = f"{prefix}backbone.body.{i}.a.0.weight"
        if conv in arrays:
            stages.append(arrays[conv].shape[0]); blocks.append(0)
        elif res in arrays:
            blocks[-1] += 1
        else:
            break
        i += 1
    return tuple(stages), tuple(blocks)


def _strip_bn(module):
    """BatchNorm -> identity and conv bias on, as in export.deployable() after folding."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Sequential):
            mods = list(child)
            for i in range(len(mods) - 1):
                if isinstance(mods[i], nn.Conv2d) and isinstance(mods[i + 1], nn.BatchNorm2d):
                    c = mods[i]
                    child[i] = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, bias=True)
                    child[i + 1] = nn.Identity()
        _strip_bn(child)


def _decoder_matmul(node, layers):
    """The decoder MatMul node name -> the state_dict key of its Linear weight."""
    m = re.fullmatch(r"/(k|v)(?:_(\d+))?/MatMul", node)
    if m:  # the cross-attention K/V of layer i, computed once from the encoder states (cross_kv)
        return f"layers.{int(m.group(2) or 0)}.cross_attn.{m.group(1)}.weight"
    m = re.fullmatch(r"/dec/layers\.(\d+)/(q|k|v|o)(_1)?/MatMul", node)
    if m:
        return f"layers.{m.group(1)}.{'cross_attn' if m.group(3) else 'self_attn'}.{m.group(2)}.weight"
    m = re.fullmatch(r"/dec/layers\.(\d+)/ff/ff\.(\d)/MatMul", node)
    if m:
        return f"layers.{m.group(1)}.ff.{m.group(2)}.weight"
    return None


def load_reference(model_dir):
    """(drafter, classifier, vocab size, info) from a model directory; both modules in eval mode."""
    enc, enc_users = _initializers(os.path.join(model_dir, "encoder_model.onnx"))
    dec, dec_users = _initializers(os.path.join(model_dir, "decoder_model.onnx"))
    clf, _ = _initializers(os.path.join(model_dir, "classifier.onnx"))
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(model_dir, "preprocessor_config.json")) as f:
        pre = json.load(f)
    d = cfg["encoder"]["hidden_size"]
    heads = cfg["decoder"]["num_attention_heads"]
    widths, blocks = _widths_blocks(enc, "d.encoder.")
    size = cfg["encoder"]["image_size"]
    max_pos = dec["dec.pos.weight"].shape[0]
    mixer_layers = len({k.split(".")[4] for k in enc if k.startswith("d.encoder.mixer.layers.")})
    drafter = Drafter(cfg["decoder"]["vocab_size"], size, len(OBSERVATIONS), d,
                      dict(widths=widths, blocks=blocks, layers=mixer_layers, hard_tokens=True),
                      cfg["decoder"]["num_layers"], heads, max_pos)
    _strip_bn(drafter)
    sd = {}
    for k, v in enc.items():
        if k.startswith("d."):
            sd[k[2:]] = v
    for x, node in enc_users.items():
        m = re.fullmatch(r"/encoder/mixer/layers\.(\d+)/(self_attn|linear1|linear2)/MatMul", node)
        if not m:
            raise ValueError(f"encoder: unmapped MatMul {node}")
        key = f"encoder.mixer.layers.{m.group(1)}." + ("self_attn.in_proj_weight" if m.group(2) == "self_attn"
                                                        else f"{m.group(2)}.weight")
        sd[key] = enc[x].T
    for k, v in dec.items():
        if k.startswith("dec."):
            sd["decoder." + k[4:]] = v
    embed = sd["decoder.embed.weight"]
    for x, node in dec_users.items():
        key = _decoder_matmul(node, cfg["decoder"]["num_layers"])
        if key is None:
            if dec[x].shape == embed.T.shape and np.allclose(dec[x].T, embed):
                continue  # the tied output head
            raise ValueError(f"decoder: unmapped MatMul {node}")
        sd["decoder." + key] = dec[x].T
    sd["decoder.head.weight"] = embed
    own = drafter.state_dict()
    missing = [k for k in own if k not in sd]
    if missing:
        raise ValueError(f"drafter weights missing from the ONNX files: {missing[:8]}")
    drafter.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(sd[k])).reshape(own[k].shape) for k in own})
    cw, cb = _widths_blocks(clf, "c.")
    classifier = Classifier(len(OBSERVATIONS), widths=cw, blocks=cb)
    _strip_bn(classifier)
    own = classifier.state_dict()
    csd = {k[2:]: v for k, v in clf.items() if k.startswith("c.")}
    missing = [k for k in own if k not in csd]
    if missing:
        raise ValueError(f"classifier weights missing from the ONNX file: {missing[:8]}")
    classifier.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(csd[k])).reshape(own[k].shape) for k in own})
    info = dict(size=size, d_model=d, heads=heads, dec_layers=cfg["decoder"]["num_layers"], max_positions=max_pos,
                enc_cfg=dict(widths=list(widths), blocks=list(blocks), layers=mixer_layers, hard_tokens=True),
                clf_cfg=dict(widths=list(cw), blocks=list(cb)), image_mean=pre["image_mean"], image_std=pre["image_std"])
    return drafter.eval(), classifier.eval(), info
