"""INT8 dynamic quantisation of a model directory's ONNX files with python3-onnx only (issue 23).

ONNX Runtime's quantiser (onnxruntime.quantization.quantize_dynamic) is a Python package that cannot
be installed here, and its Java API has none. This rewrite emits the same operators its
"QOperator-free" dynamic mode emits for MatMul (onnxruntime/python/tools/quantization/operators/
matmul.py, MatMulInteger path):

    x_q, x_scale, x_zp = DynamicQuantizeLinear(x)            # uint8 activations, per call
    y_i32 = MatMulInteger(x_q, W_q, x_zp, W_zp)              # W_q int8 initializer, W_zp = 0
    y     = Cast(y_i32, float) * (x_scale * W_scale)

for every MatMul whose second input is a 2-D float initializer (the Linear layers and the LM head),
weights symmetric per tensor (scale = max|W| / 127, as ORT's default QInt8 weight type). ONNX Runtime
fuses the pattern into DynamicQuantizeMatMul at load (graph optimisation level ALL). Convolutions
(ViT's patch embedding), LayerNorm, softmax and attention score products stay float32, and so does
every tensor at the interface: the directory stays a valid model-contract directory.
"""
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ONNX_FILES = ("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx")


def quantize_model(src, dst):
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    nodes, done = [], {}
    count = 0
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if w is None or len(w.dims) != 2 or w.data_type != TensorProto.FLOAT:
            nodes.append(n)
            continue
        if w.name not in done:
            a = numpy_helper.to_array(w).astype(np.float32)
            scale = np.float32(max(float(np.abs(a).max()), 1e-8) / 127.0)
            q = np.clip(np.rint(a / scale), -127, 127).astype(np.int8)
            g.initializer.append(numpy_helper.from_array(q, w.name + "_quantized"))
            g.initializer.append(numpy_helper.from_array(np.array(scale, np.float32), w.name + "_scale"))
            g.initializer.append(numpy_helper.from_array(np.array(0, np.int8), w.name + "_zero_point"))
            done[w.name] = True
        x, y, p = n.input[0], n.output[0], (n.name or y) + "_q"
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "_x", p + "_xs", p + "_xz"], p + "_dql"),
            helper.make_node("MatMulInteger", [p + "_x", w.name + "_quantized", p + "_xz", w.name + "_zero_point"],
                             [p + "_i32"], p + "_mmi"),
            helper.make_node("Cast", [p + "_i32"], [p + "_f"], p + "_cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "_xs", w.name + "_scale"], [p + "_s"], p + "_scale"),
            helper.make_node("Mul", [p + "_f", p + "_s"], [y], p + "_out"),
        ]
        count += 1
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    return count


def quantize_dir(src, dst):
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if f.endswith(".json") or f == "README.md":
            shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))
    for f in ONNX_FILES:
        n = quantize_model(os.path.join(src, f), os.path.join(dst, f))
        print("%s: %d MatMul -> DynamicQuantizeLinear + MatMulInteger (int8 weights)" % (f, n))
    if os.path.exists(os.path.join(src, "decoder_model_merged.onnx")):
        import realistic_model
        realistic_model.merge(dst)
    mf = os.path.join(dst, "raddraft-model.json")
    m = json.load(open(mf))
    m["name"] = m["name"] + "-int8"
    m["quantization"] = {"weights": "int8 symmetric per tensor", "activations": "uint8 dynamic per call",
                         "operators": "DynamicQuantizeLinear + MatMulInteger (ORT dynamic quantisation)",
                         "tool": "training/quantize_int8.py", "source": os.path.basename(os.path.normpath(src))}
    json.dump(m, open(mf, "w"), indent=1)
