#!/usr/bin/env bash
# bench/realistic-model.sh on a machine with an NVIDIA GPU: the daemon's ONNX path with
# model.device=cuda (ONNX Runtime's CUDA execution provider, pom profile gpu: needs CUDA 12.x and
# cuDNN 9.x on the library path, see docs/inference.md). The PyTorch eager row stays on CPU (Debian's
# torch has no CUDA). Fails, instead of quietly measuring the CPU, when the sessions fall back to CPU.
# usage: bench/gpu.sh [--studies N] [--batch B] [--threads T] [--model DIR]   (same options as realistic-model.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi -L || { echo "bench/gpu.sh: no NVIDIA GPU (nvidia-smi) on this machine" >&2; exit 2; }
ldconfig -p | grep -q 'libcudnn.so.9' || echo "bench/gpu.sh: warning: libcudnn.so.9 not in ldconfig; the CUDA provider may not load" >&2
exec bench/realistic-model.sh --device cuda "$@"
