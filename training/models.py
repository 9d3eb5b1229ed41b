"""Reference drafter (CNN encoder over both views + transformer decoder with explicit KV cache)
and the independent 14-label classifier.  Written so that ONNX export yields exactly the Hugging
Face Optimum "image-to-text-with-past" interface (see export.py, docs/model-contract.md)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(i, o, stride=1):
    return nn.Sequential(nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv_bn(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class Backbone(nn.Module):
    """Small ResNet over one grey-scale view. Each stage halves the resolution."""

    def __init__(self, widths=(16, 32, 64, 128), blocks=(0, 1, 1, 1)):
        super().__init__()
        layers, c, ends = [], 1, []
        for w, n in zip(widths, blocks):
            layers.append(conv_bn(c, w, 2)); c = w
            layers += [ResBlock(c) for _ in range(n)]
            ends.append(len(layers))
        self.body = nn.Sequential(*layers)
        self.out_channels = c
        self.stride = 2 ** len(widths)
        # output of the last-but-one stage (stride / 2): where training taps the finding maps
        self.mid_end, self.mid_channels = ends[-2], widths[-2]

    def forward(self, x):
        return self.body(x)

    def forward_with_mid(self, x):
        """(final features, last-but-one stage's features) — the latter for training-only heads."""
        mid = self.body[:self.mid_end](x)
        return self.body[self.mid_end:](mid), mid


class ImageEncoder(nn.Module):
    """pixel_values [B, V, H, W] (channel = view) -> last_hidden_state [B, L + V*h*w, D].

    Views share the backbone. A finding head (mean + max pooling of each view, MLP) predicts the L
    observation labels; each label becomes one "finding token" that interpolates between a learned
    present and a learned absent embedding by the predicted probability. The finding tokens and the
    spatial tokens (learned 2-D position + view embedding) are mixed by a small transformer encoder.
    The decoder cross-attends to all of them: the finding tokens tell it WHAT the image shows (the
    text of a decoder trained on templated reports otherwise drifts to the commonest wording), the
    spatial tokens WHERE (laterality, location, extent)."""

    def __init__(self, image_size, n_views=2, d_model=192, widths=(16, 32, 64, 128),
                 blocks=(0, 1, 1, 1), pool=1, layers=1, heads=4, n_labels=14, hard_tokens=False):
        super().__init__()
        self.n_views = n_views
        self.backbone = Backbone(widths, blocks)
        self.pool = pool
        g = image_size // self.backbone.stride // pool
        self.grid = g
        c = self.backbone.out_channels
        self.proj = nn.Conv2d(c, d_model, 1)
        self.pos = nn.Parameter(torch.zeros(1, n_views * g * g, d_model))
        nn.init.normal_(self.pos, std=0.02)
        self.finding_head = nn.Sequential(nn.Linear(2 * c * n_views, 256), nn.ReLU(inplace=True),
                                          nn.Dropout(0.2), nn.Linear(256, n_labels))
        self.present = nn.Parameter(torch.randn(1, n_labels, d_model) * 0.5)
        self.absent = nn.Parameter(torch.randn(1, n_labels, d_model) * 0.5)
        enc_layer = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.1,
                                               activation="gelu", batch_first=True, norm_first=True)
        self.mixer = nn.TransformerEncoder(enc_layer, layers) if layers > 0 else None
        self.norm = nn.LayerNorm(d_model)
        self.seq_len = n_labels + n_views * g * g
        # Hard finding tokens: each token is exactly "present" or "absent", decided by the head's
        # logit against a per-observation threshold calibrated on the calibration set after training
        # (package.py). The decoder is trained on ground-truth tokens, which are also exactly
        # present/absent, so what it sees at inference is what it learnt to verbalise; with soft
        # tokens (probability-weighted mixes it never saw with the labels) it fell back to the
        # commonest wording for uncertain studies, e.g. "opacity" for a consolidation.
        self.hard_tokens = hard_tokens
        self.register_buffer("token_threshold", torch.zeros(n_labels))

    def features(self, pixel_values, with_mid=False):
        b, v, h, w = pixel_values.shape
        x = pixel_values.reshape(b * v, 1, h, w)
        f, mid = self.backbone.forward_with_mid(x)
        if self.pool > 1:
            f = F.avg_pool2d(f, self.pool)
        return (f, mid) if with_mid else f  # [B*V, C, g, g] (, [B*V, C', 2g, 2g])

    def encode(self, pixel_values, teacher_probs=None, teacher_mask=None, with_mid=False):
        """Returns (last_hidden_state, finding logits [B, L]) (+ the backbone's last-but-one stage
        features [B*V, C', 2g, 2g] with_mid). In training, rows where teacher_mask is true take the
        finding tokens from teacher_probs (ground truth) instead of the head."""
        b = pixel_values.shape[0]
        f, mid = self.features(pixel_values, with_mid=True)
        pooled = torch.cat([f.mean((2, 3)), f.amax((2, 3))], dim=1).reshape(b, -1)
        logits = self.finding_head(pooled)
        p = (logits >= self.token_threshold).to(logits.dtype) if self.hard_tokens else torch.sigmoid(logits)
        if teacher_probs is not None:
            p = torch.where(teacher_mask[:, None], teacher_probs, p)
        p = p[:, :, None]
        findings = p * self.present + (1 - p) * self.absent
        s = self.proj(f)  # [B*V, D, g, g]
        d = s.shape[1]
        t = s.flatten(2).transpose(1, 2).reshape(b, -1, d) + self.pos
        t = torch.cat([findings, t], dim=1)
        if self.mixer is not None:
            t = self.mixer(t)
        return (self.norm(t), logits, mid) if with_mid else (self.norm(t), logits)

    def forward(self, pixel_values):
        return self.encode(pixel_values)[0]


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)

    def split(self, x):  # [B, T, D] -> [B, H, T, hd]
        b, t, _ = x.shape
        return x.reshape(b, t, self.h, self.hd).transpose(1, 2)

    def attend(self, q, k, v, mask=None):
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)
        if mask is not None:
            s = s + mask
        a = torch.softmax(s, dim=-1)
        o = torch.matmul(a, v)  # [B, H, T, hd]
        b, h, t, hd = o.shape
        return self.o(o.transpose(1, 2).reshape(b, t, h * hd))


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ff, dropout):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = Attention(d, heads)
        self.cross_attn = Attention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, enc_kv, past_self, causal_mask):
        """x [B,T,D]; enc_kv (k, v) each [B,H,S,hd]; past_self (k, v) or None.
        Returns x and the new self-attention (k, v) including the past."""
        h = self.ln1(x)
        a = self.self_attn
        k, v = a.split(a.k(h)), a.split(a.v(h))
        if past_self is not None:
            k = torch.cat([past_self[0], k], dim=2)
            v = torch.cat([past_self[1], v], dim=2)
        x = x + self.drop(a.attend(a.split(a.q(h)), k, v, causal_mask))
        h = self.ln2(x)
        c = self.cross_attn
        x = x + self.drop(c.attend(c.split(c.q(h)), enc_kv[0], enc_kv[1]))
        x = x + self.drop(self.ff(self.ln3(x)))
        return x, (k, v)

    def cross_kv(self, enc):
        c = self.cross_attn
        return c.split(c.k(enc)), c.split(c.v(enc))


class TextDecoder(nn.Module):
    """Transformer decoder with cross-attention to the encoder tokens. In addition, the mean of the
    first n_findings encoder tokens (the finding tokens, see ImageEncoder) is projected and added to
    every input embedding: each generated word is conditioned on what the image shows directly, not
    only through attention that a small decoder on templated text learns late or never."""

    def __init__(self, vocab_size, d_model=192, layers=2, heads=4, max_positions=256, dropout=0.1,
                 n_findings=14):
        super().__init__()
        self.n_findings = n_findings
        self.cond = nn.Linear(d_model, d_model)
        self.d, self.heads, self.n_layers = d_model, heads, layers
        self.max_positions = max_positions
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_positions, d_model)
        self.layers = nn.ModuleList(DecoderLayer(d_model, heads, 4 * d_model, dropout) for _ in range(layers))
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied
        nn.init.normal_(self.embed.weight, std=d_model ** -0.5)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.drop = nn.Dropout(dropout)

    def forward(self, input_ids, enc, enc_kv, past_self=None):
        """input_ids [B,T]; enc: encoder_hidden_states [B,S,D]; enc_kv list per layer of (k,v);
        past_self list of (k,v) or None. Returns logits [B,T,V] and list of present self (k,v)."""
        t = input_ids.shape[1]
        if past_self is None:
            start = torch.zeros((), dtype=torch.long)
            past_len = 0
        else:
            past_len = past_self[0][0].shape[2]
            start = torch.tensor(past_len) if isinstance(past_len, int) else past_len
        pos = torch.arange(t, dtype=torch.long) + start
        cond = self.cond(enc[:, :self.n_findings].mean(1))[:, None, :]
        x = self.drop(self.embed(input_ids) * math.sqrt(self.d) + self.pos(pos)[None] + cond)
        # causal mask [T, past+T]: query i (absolute past+i) sees keys j <= past+i
        qi = pos[:, None]
        kj = torch.arange(t, dtype=torch.long)[None, :] + start
        if past_self is not None:
            kj = torch.cat([torch.arange(past_len, dtype=torch.long)[None, :] if isinstance(past_len, int)
                            else torch.arange(past_len)[None, :], kj], dim=1)
        mask = torch.where(kj > qi, torch.tensor(-1e9), torch.tensor(0.0))
        presents = []
        for i, layer in enumerate(self.layers):
            x, kv = layer(x, enc_kv[i], None if past_self is None else past_self[i], mask)
            presents.append(kv)
        return self.head(self.ln(x)), presents

    def cross_kv(self, enc):
        return [layer.cross_kv(enc) for layer in self.layers]


class Drafter(nn.Module):
    def __init__(self, vocab_size, image_size, n_labels=14, d_model=192, enc_cfg=None, dec_layers=2,
                 heads=4, max_positions=256):
        super().__init__()
        self.encoder = ImageEncoder(image_size, d_model=d_model, heads=heads, n_labels=n_labels, **(enc_cfg or {}))
        self.decoder = TextDecoder(vocab_size, d_model, dec_layers, heads, max_positions, n_findings=n_labels)

    def forward(self, pixel_values, input_ids, teacher_probs=None, teacher_mask=None):
        """Teacher-forced logits [B, T, V], the encoder's finding logits [B, L] and its backbone's
        last-but-one stage features [B*V, C', h, w] (for the training-only finding maps)."""
        enc, finding_logits, mid = self.encoder.encode(pixel_values, teacher_probs, teacher_mask, with_mid=True)
        logits, _ = self.decoder(input_ids, enc, self.decoder.cross_kv(enc))
        return logits, finding_logits, mid


class Classifier(nn.Module):
    """Independent 14-label classifier over both views: shared backbone per view, global average
    + max pooling, concatenated across views, MLP -> 14 logits."""

    def __init__(self, n_labels=14, widths=(16, 32, 64, 128), blocks=(0, 1, 1, 1), n_views=2):
        super().__init__()
        self.backbone = Backbone(widths, blocks)
        c = self.backbone.out_channels
        self.view_heads = n_views
        self.head = nn.Sequential(nn.Linear(2 * c * n_views, 256), nn.ReLU(inplace=True), nn.Dropout(0.2),
                                  nn.Linear(256, n_labels))

    def forward(self, pixel_values):
        return self.classify(pixel_values)[0]

    def classify(self, pixel_values):
        """(logits [B, L], last-but-one stage features [B*V, C', h, w] for training-only heads)."""
        b, v, h, w = pixel_values.shape
        f, mid = self.backbone.forward_with_mid(pixel_values.reshape(b * v, 1, h, w))
        p = torch.cat([f.mean((2, 3)), f.amax((2, 3))], dim=1).reshape(b, -1)
        return self.head(p), mid


@torch.no_grad()
def greedy(drafter, pixel_values, bos_id, eos_id, max_length, pad_id=0):
    """Greedy decode exactly as the ONNX files run it: encoder once; decoder on [BOS] (returns
    cross-attention K/V once); decoder_with_past one token at a time. Returns token ids [B, <=max_length]
    (starting with BOS; finished rows padded with pad_id) and per-token log-probs of the chosen tokens."""
    enc = drafter.encoder(pixel_values)
    dec = drafter.decoder
    enc_kv = dec.cross_kv(enc)
    b = pixel_values.shape[0]
    ids = torch.full((b, 1), bos_id, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    past = None
    cur = ids
    lps = []
    for _ in range(max_length - 1):
        logits, past = dec(cur, enc, enc_kv, past)
        lp = torch.log_softmax(logits[:, -1], -1)
        nxt = lp.argmax(-1)
        lps.append(torch.where(done, torch.zeros(b), lp.gather(1, nxt[:, None])[:, 0]))
        nxt = torch.where(done, torch.full_like(nxt, pad_id), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        done = done | (nxt == eos_id)
        cur = nxt[:, None]
        if bool(done.all()):
            break
    return ids, torch.stack(lps, 1)
