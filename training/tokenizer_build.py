"""WordPiece tokenizer for the report grammar, written in Hugging Face `tokenizers` JSON format.

There is no `tokenizers` Python package here, so this module both writes `tokenizer.json` and
re-implements exactly the pieces it configures (BertNormalizer lowercase, BertPreTokenizer,
WordPiece greedy longest-match, TemplateProcessing [BOS] $A [EOS], WordPiece decoder with
cleanup).  The Java test TokenizerRoundTripTest checks that DJL's HuggingFaceTokenizer (the Rust
library) gives the same ids and text as this implementation.
"""
import json
import re
import unicodedata
from collections import Counter

from common import SPECIAL_TOKENS, PAD_ID, UNK_ID, BOS_ID, EOS_ID

PREFIX = "##"
MAX_INPUT_CHARS = 100


# ---------------------------------------------------------------- BertNormalizer(lowercase=True)
def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_whitespace(ch):
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_punctuation(ch):
    cp = ord(ch)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(ch).startswith("P")


def normalize(text: str) -> str:
    out = []
    for ch in text:  # clean_text
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        out.append(" " if _is_whitespace(ch) else ch)
    text = "".join(out)
    # handle_chinese_chars: not relevant to this grammar (no CJK); strip_accents follows lowercase
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return text.lower()


def pre_tokenize(text: str):
    words, cur = [], []
    for ch in text:
        if _is_whitespace(ch):
            if cur:
                words.append("".join(cur)); cur = []
        elif _is_punctuation(ch):
            if cur:
                words.append("".join(cur)); cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


# ---------------------------------------------------------------- vocabulary
def build_vocab(texts, min_count=1):
    counts = Counter()
    for t in texts:
        counts.update(pre_tokenize(normalize(t)))
    words = sorted(w for w, c in counts.items() if c >= min_count)
    vocab = list(SPECIAL_TOKENS)
    seen = set(vocab)
    # Fallback pieces so that any ASCII text (a radiologist's edit) encodes without [UNK].
    chars = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
    for w in words + chars + [PREFIX + c for c in chars if c.isalnum()]:
        if w not in seen:
            vocab.append(w); seen.add(w)
    return vocab


class WordPieceTokenizer:
    def __init__(self, vocab):
        self.vocab = list(vocab)
        self.ids = {t: i for i, t in enumerate(self.vocab)}

    def _word(self, w):
        if len(w) > MAX_INPUT_CHARS:
            return [UNK_ID]
        out, start = [], 0
        while start < len(w):
            end, cur = len(w), None
            while start < end:
                sub = w[start:end] if start == 0 else PREFIX + w[start:end]
                if sub in self.ids:
                    cur = self.ids[sub]; break
                end -= 1
            if cur is None:
                return [UNK_ID]
            out.append(cur); start = end
        return out

    def encode(self, text, add_special_tokens=True):
        ids = []
        for w in pre_tokenize(normalize(text)):
            ids.extend(self._word(w))
        return [BOS_ID] + ids + [EOS_ID] if add_special_tokens else ids

    def decode(self, ids, skip_special_tokens=True):
        toks = [self.vocab[i] for i in ids
                if not (skip_special_tokens and self.vocab[i] in SPECIAL_TOKENS)]
        s = ""
        for i, t in enumerate(toks):  # WordPiece decoder
            if t.startswith(PREFIX):
                s += t[len(PREFIX):]
            else:
                s += (" " if i > 0 else "") + t
        return cleanup(s)


def cleanup(s: str) -> str:
    """The WordPiece decoder's `cleanup` (tokenizers/src/decoders/wordpiece.rs)."""
    for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
                 (" n't", "n't"), (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"),
                 (" 've", "'ve"), (" 're", "'re")):
        s = s.replace(a, b)
    return s


def detokenize(decoded: str) -> str:
    """Contract post-processing of decoded text (docs/model-contract.md): re-attach the
    punctuation the WordPiece decoder leaves spaced.  Java applies the same rules."""
    for a, b in ((" : ", ": "), (" ;", ";"), (" - ", "-"), (" / ", "/"), ("( ", "("), (" )", ")")):
        decoded = decoded.replace(a, b)
    if decoded.endswith(" :"):
        decoded = decoded[:-2] + ":"
    return re.sub(r"(\d)\. (\d)", r"\1.\2", decoded)


def tokenizer_json(vocab):
    sp = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
           "normalized": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": sp,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[BOS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[EOS]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[BOS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[EOS]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[EOS]", "type_id": 1}}],
            "special_tokens": {
                "[BOS]": {"id": "[BOS]", "ids": [BOS_ID], "tokens": ["[BOS]"]},
                "[EOS]": {"id": "[EOS]", "ids": [EOS_ID], "tokens": ["[EOS]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": PREFIX, "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": PREFIX,
                  "max_input_chars_per_word": MAX_INPUT_CHARS,
                  "vocab": {t: i for i, t in enumerate(vocab)}},
    }


def tokenizer_config():
    """tokenizer_config.json / special_tokens_map.json for transformers-style loaders."""
    return {
        "tokenizer_class": "BertTokenizerFast", "do_lower_case": True, "model_max_length": 512,
        "pad_token": "[PAD]", "unk_token": "[UNK]", "bos_token": "[BOS]", "eos_token": "[EOS]",
        "cls_token": "[BOS]", "sep_token": "[EOS]",
    }


def save(vocab, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False, indent=1)
