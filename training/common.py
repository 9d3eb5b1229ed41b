"""Constants shared by the RadDraft reference-model training modules."""
import os
import random

import numpy as np
import torch

# The 14 CheXpert observations, in the order of classifier.onnx outputs and labels.json.
OBSERVATIONS = [
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity", "Lung Lesion",
    "Edema", "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion",
    "Pleural Other", "Fracture", "Support Devices",
]

# Views, in the channel order of pixel_values [batch, 2, H, W].
VIEWS = ["frontal", "lateral"]

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads() -> None:
    n = int(os.environ.get("RADDRAFT_TRAIN_THREADS", "2"))
    torch.set_num_threads(n)
    torch.set_num_interop_threads(1)
    torch.set_flush_denormal(True)  # denormals make CPU kernels crawl late in training


def report_text(findings: str, impression: str) -> str:
    """The drafter's target text: one sequence, two sections (see docs/model-contract.md)."""
    return f"FINDINGS: {findings.strip()} IMPRESSION: {impression.strip()}"
