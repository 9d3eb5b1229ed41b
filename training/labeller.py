"""Rule-based labeller for the phantom report grammar (evaluation only; the product's labeller is
Java, report/).  Sentence split, lexicon per observation, negation cues with sentence scope,
uncertainty cues for pneumonia, CheXpert parent rule (Lung Opacity) and No Finding rule."""
import re

from common import OBSERVATIONS

LEXICON = {
    "Cardiomegaly": [r"cardiomegaly", r"heart is enlarged", r"enlarged heart"],
    "Enlarged Cardiomediastinum": [r"mediastinal widening", r"widening of the (upper )?mediastinum",
                                   r"widened mediastinum"],
    "Lung Opacity": [r"opacity", r"opacities"],
    "Lung Lesion": [r"nodules?\b", r"\bmass(es)?\b"],
    "Edema": [r"edema"],
    "Consolidation": [r"consolidation"],
    "Pneumonia": [r"pneumonia"],
    "Atelectasis": [r"atelectasis"],
    "Pneumothorax": [r"pneumothorax"],
    "Pleural Effusion": [r"pleural effusions?", r"\beffusions?\b"],
    "Pleural Other": [r"pleural thickening"],
    "Fracture": [r"fracture"],
    "Support Devices": [r"endotracheal tube", r"central venous catheter", r"central line", r"pacemaker",
                        r"support devices?", r"catheter"],
}
NEGATION = re.compile(r"\b(no|without|normal|clear|intact|negative for|free of)\b")
UNCERTAIN = re.compile(r"\b(may represent|possibly|possible|cannot exclude|could represent|suspicious for)\b")
SPLIT = re.compile(r"(?<=[.!?])\s+")


def sentences(text):
    return [s for s in SPLIT.split(text.lower()) if s.strip()]


def label(text):
    """text -> {observation: 1 | 0 | -1}; 0 when absent or not mentioned."""
    out = {o: 0 for o in OBSERVATIONS}
    for s in sentences(text):
        for obs, pats in LEXICON.items():
            for p in pats:
                m = re.search(p, s)
                if not m:
                    continue
                neg = NEGATION.search(s)
                if neg and neg.start() < m.start():
                    continue  # negated (cue before the mention, scope = rest of sentence)
                unc = UNCERTAIN.search(s)
                val = -1 if unc and unc.start() < m.start() else 1  # cue scope: forward
                if out[obs] != 1:
                    out[obs] = val
                break
    if any(out[o] == 1 for o in ("Consolidation", "Edema", "Atelectasis")):
        out["Lung Opacity"] = 1
    pathology = any(v != 0 for o, v in out.items() if o not in ("No Finding", "Support Devices"))
    out["No Finding"] = 0 if pathology else 1
    return out
