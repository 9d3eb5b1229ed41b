#!/usr/bin/python3
"""Simulated radiologist -- a STAND-IN for a person reviewing drafts in the RIS.  It exists only for
phantom studies, whose ground truth is known (`raddraft phantoms` writes it to phantoms.jsonl), so
that the learning loop (issue 26, docs/learning-export.md) runs end to end through the daemon.

It works through the real FHIR API exactly as a RIS does: it searches the preliminary
DiagnosticReports, reads each draft's text (presentedForm), finds the phantom by the report's
accession number (A<seed><index:06d>) and decides like a consistent, tireless radiologist:
  * every finding right (the labeller's 14 labels of the draft = the truth)  -> $approve;
  * REJECT_AT or more findings wrong                                         -> $reject with the reason;
  * otherwise -> $approve with edited text: the draft's sentences about each wrong finding are removed
    and the truth's sentences about it (the phantom report grammar's wording) put in their place.
Wrong = the positive/negative reading (present or uncertain counts as positive) differs from the truth.

Usage: simulated_radiologist.py --base http://127.0.0.1:PORT --token TOKEN [--acting-for NAME]
         --phantoms DIR [--n N] [--reject-at 3] [--log FILE.jsonl]
Prints one summary line: `reviewed=N approved=A edited=E rejected=R`.
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from labeller import label, sentences  # noqa: E402  (the phantom grammar's labeller)

ACCESSION_SYSTEM_HINT = "accession"


def positive(v):
    return v in (1, -1)


def wrong_findings(draft_labels, truth):
    return [o for o, v in truth.items() if positive(v) != positive(draft_labels.get(o, 0))]


def split_report(text):
    """'FINDINGS: ... IMPRESSION: ...' -> (findings, impression)."""
    t = text.strip()
    lower = t.lower()
    i = lower.find("impression:")
    f = t[:i] if i >= 0 else t
    imp = t[i + len("impression:"):] if i >= 0 else ""
    if f.lower().startswith("findings:"):
        f = f[len("findings:"):]
    return f.strip(), imp.strip()


def about(sentence, obs):
    """Whether a sentence says anything about obs (present, absent or uncertain)."""
    from labeller import LEXICON
    import re
    pats = LEXICON.get(obs, [])
    return any(re.search(p, sentence.lower()) for p in pats)


def edit(draft_findings, draft_impression, truth_findings, truth_impression, wrong):
    """The draft with its sentences about the wrong findings replaced by the truth's sentences about them.
    'No Finding' and 'Lung Opacity' follow from the others (CheXpert rules), so they are not edited alone."""
    direct = [o for o in wrong if o not in ("No Finding", "Lung Opacity")] or wrong

    def fix(draft, truth):
        keep = [s for s in split_sentences(draft) if not any(about(s, o) for o in direct)]
        add = [s for s in split_sentences(truth) if any(about(s, o) for o in direct)]
        return " ".join(keep + [s for s in add if s not in keep])

    f = fix(draft_findings, truth_findings)
    i = fix(draft_impression, truth_impression)
    if not i.strip():
        i = truth_impression
    return f, i


def split_sentences(text):
    import re
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text or "") if s.strip()]


class Fhir:
    def __init__(self, base, token, acting_for):
        self.base, self.token, self.acting_for = base.rstrip("/"), token, acting_for

    def call(self, method, path, body=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Accept", "application/fhir+json")
        if data is not None:
            req.add_header("Content-Type", "application/fhir+json")
        if self.acting_for:
            req.add_header("X-Acting-For", self.acting_for)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def preliminary(self, limit):
        """The drafts awaiting review (DiagnosticReport?status=preliminary), following the Bundle's next links."""
        out, url = [], "/fhir/DiagnosticReport?status=preliminary&_count=100"
        while url and len(out) < limit:
            code, b = self.call("GET", url)
            if code != 200:
                raise SystemExit(f"simulated radiologist: search answered {code}: {json.dumps(b)[:300]}")
            out += [e["resource"] for e in b.get("entry", []) if e.get("resource", {}).get("resourceType") == "DiagnosticReport"]
            url = next((l["url"] for l in b.get("link", []) if l.get("relation") == "next"), None)
        return out[:limit]

    def op(self, report_id, name, params):
        body = {"resourceType": "Parameters", "parameter": [{"name": k, "valueString": v} for k, v in params]}
        return self.call("POST", f"/fhir/DiagnosticReport/{report_id}/${name}", body)


def draft_text(report):
    for a in report.get("presentedForm", []):
        if a.get("data"):
            return base64.b64decode(a["data"]).decode("utf-8")
    return ""


def accession(report):
    for i in report.get("identifier", []):
        if ACCESSION_SYSTEM_HINT in (i.get("system") or "").lower() or (i.get("type", {}).get("coding") or [{}])[0].get("code") == "ACSN":
            return i.get("value")
    for i in report.get("identifier", []):
        if (i.get("value") or "").startswith("A"):
            return i["value"]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--acting-for")
    ap.add_argument("--phantoms", required=True, help="the `raddraft phantoms` directory the studies came from")
    ap.add_argument("--n", type=int, default=10 ** 9)
    ap.add_argument("--reject-at", type=int, default=3)
    ap.add_argument("--log")
    a = ap.parse_args()
    truth = {}
    with open(os.path.join(a.phantoms, "phantoms.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            acc = "A%d%06d" % (r["seed"], r["index"])
            truth[acc[-16:]] = r
    fhir = Fhir(a.base, a.token, a.acting_for)
    counts = {"approved": 0, "edited": 0, "rejected": 0, "skipped": 0}
    log = open(a.log, "w", encoding="utf-8") if a.log else None
    for rep in fhir.preliminary(a.n):
        acc = accession(rep)
        row = truth.get(acc)
        if row is None:
            counts["skipped"] += 1  # not one of our phantoms: a radiologist stand-in only reviews what it knows
            continue
        f, i = split_report(draft_text(rep))
        t = {o: int(v) for o, v in row["labels"].items()}
        wrong = wrong_findings(label(f + " " + i), t)
        if not wrong:
            decision, code, _ = "approved", *fhir.op(rep["id"], "approve", [])
        elif len(wrong) >= a.reject_at:
            reason = "%d findings wrong: %s" % (len(wrong), ", ".join(wrong))
            decision, code, _ = "rejected", *fhir.op(rep["id"], "reject", [("reason", reason)])
        else:
            ef, ei = edit(f, i, row["findings"], row["impression"], wrong)
            still = wrong_findings(label(ef + " " + ei), t)
            if still:  # the sentence edit could not express it: the radiologist rewrites the report
                ef, ei = row["findings"], row["impression"]
            decision, code, _ = "edited", *fhir.op(rep["id"], "approve", [("findings", ef), ("impression", ei)])
        if code != 200:
            raise SystemExit(f"simulated radiologist: ${decision} of DiagnosticReport/{rep['id']} answered {code}")
        counts[decision] += 1
        if log:
            log.write(json.dumps({"report": rep["id"], "accession": acc, "decision": decision, "wrong": wrong}) + "\n")
    if log:
        log.close()
    n = counts["approved"] + counts["edited"] + counts["rejected"]
    print(f"reviewed={n} approved={counts['approved']} edited={counts['edited']} rejected={counts['rejected']}"
          + (f" skipped={counts['skipped']}" if counts["skipped"] else ""))


if __name__ == "__main__":
    main()
