"""The reader's speed and its linear time on pathological inputs (issue 25).

1. Linear time: each pathological shape (long runs of one line, one marker, one word, one character, deep
   markup) is read at sizes n, 2n, 4n, 8n; the time of each doubling is printed as a ratio. Linear work doubles
   (ratio ~2); quadratic work quadruples. A shape whose last ratio passes 3 is flagged and the script exits 1.
2. Throughput on the shared corpus: bare whole cables read (read_cable) and read + suggested by the shipped
   whole-cable model, as `suggest --jsonl --cable` does, per second; and saved pages (each corpus cable wrapped in
   a page of the 2011 cablegate layout and in a PlusD-like page, markup written here) read per second; first a
   reference of the machine's speed at the time (the standard library's json over the same records, per second).
3. With --stages: each stage of a whole cable (read, the text the model reads, boilerplate, TF-IDF terms, the
   product with the weights, the reference index, the vote, ranking) timed on its own, in ms a cable.

usage: python scripts/benchmarks/bench_reader.py [--corpus PATH] [--cables 2000] [--base 20000] [--skip-corpus]
                                                 [--stages] [--runs 3]
"""
from __future__ import annotations

import argparse
import html
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags import read_cable  # noqa: E402  (the default Workspace: the taxonomy loads once)

HEAD = "UNCLAS PARIS 000123\n\nE.O. 12958: N/A\nTAGS: PREL, PGOV, FR\nSUBJECT: A SUBJECT\n\n"


def shapes(n: int) -> dict:
    """name -> a text (or bytes) of about n characters built to stress one pattern."""
    k = max(1, n // 10)
    return {
        "blank lines of one space": HEAD + "\n \n" * (n // 3),
        "one long line of spaces": HEAD + "1." + " " * n + "x",
        "SUMMARY with no END SUMMARY": HEAD + "1. SUMMARY: " + "word " * (n // 5),
        "many SUMMARY words": HEAD + "1. " + "SUMMARY " * (n // 8),
        "COMMENT: with no END": HEAD + "1. " + "COMMENT: text " * (n // 14),
        "SUBJECT of one repeated word": "UNCLAS PARIS 000123\nTAGS: PREL\nSUBJECT: " + "WORD " * (n // 5) + "\n\n1. x",
        "one repeated word": HEAD + "word " * (n // 5),
        "paragraph numbers out of order": HEAD + "7. x " * (n // 5),
        "paragraph numbers in order": HEAD + "".join(f"\n{i % 999 + 1}. (C) x" for i in range(n // 10)),
        "pilcrows": HEAD + "\u00b6" * n,
        "closing lines and parentheses": HEAD + "1. x\n" + "(C) (U) E. REF A 1 " * (n // 20) + "\nNNN\n" * 50,
        "pilcrow numbers that skip": HEAD + "".join(f"\n\u00b6{i % 999 + 1}. x 2. " for i in range(0, n // 11, 3)),
        "digits": HEAD + "1" * n,
        "dots and digits": HEAD + "1." * (n // 2),
        "TAGS labels": "TAGS: " * (n // 6),
        "TAGS: and one code a line": "TAGS:\n" + "PREL\n" * (n // 5),
        "REF lines": HEAD + "REF: A. STATE 1 " * (n // 16),
        "one REF list over many lines": HEAD + "REF: A. STATE 1\n" + "     B. PARIS 2\n" * (n // 16),
        "ids at line starts": "\n".join("09PARIS1007" for _ in range(n // 12)),
        "nested divs (HTML)": "<html><body>" + "<div>" * k + HEAD + "</div>" * k + "</body></html>",
        "many pre blocks (HTML)": "<html><body>" + "<pre>TAGS: PREL</pre>" * (n // 20) + "</body></html>",
        "nested pre blocks (HTML)": "<html><body>" + "<pre>x" * (n // 6) + "</body></html>",
        "a page of TAGS lines (HTML)": "<html><body><pre>" + "TAGS\n" * (n // 5) + "</pre></body></html>",
        "nested pane tabs (HTML)": "<html><body>" + "<div class='pane-tab'>" * (n // 22) + "</body></html>",
        "a page of PlusD keys (HTML)": "<html><body>" + "<div class='s_key'>x</div>" * (n // 26) + "</body></html>",
        "nested cable tables (HTML)": "<html><body>" + "<table class='cable'><tr><th>Reference ID</th></tr><tr><td>x"
        * (n // 70) + "</body></html>",
        "cp1252 bytes": (HEAD + "\u00b61. caf\u00e9 " * (n // 12)).encode("cp1252"),
    }


def linear(base: int) -> bool:
    ok = True
    read_cable(HEAD + "1. warm up")  # the taxonomy and the normalizer load once, outside the timings
    # and each paragraph number's pattern is compiled once a process, on first use (about 0.7 ms a number): a cable
    # numbered up to 999 compiles them outside the timings, as a process that has read a few cables has
    read_cable(HEAD + "".join(f"\n{i}. (C) x" for i in range(1, 1000))).paragraphs
    names = list(shapes(10))
    print(f"{'shape':34} " + " ".join(f"{base * m:>10,}" for m in (1, 2, 4, 8)) + "   ratios")
    for name in names:
        times = []
        for m in (1, 2, 4, 8):
            x = shapes(base * m)[name]
            t0 = time.perf_counter()
            c = read_cable(x)
            c.paragraphs, c.summary, c.comment, c.signature  # worked out on first use: timed with the reading
            times.append(time.perf_counter() - t0)
        ratios = [b / a if a > 1e-4 else 1.0 for a, b in zip(times, times[1:])]
        flag = ratios[-1] > 3 and times[-1] > 0.05
        ok &= not flag
        print(f"{name:34} " + " ".join(f"{t * 1000:8.1f}ms" for t in times) + "   " +
              " ".join(f"{r:.1f}" for r in ratios) + ("   SUPERLINEAR" if flag else ""))
    return ok


CABLEGATE = """<!DOCTYPE html><html><head><title>Cable reference id: #{rid}</title></head><body>
<div id="header"><a href="/">Cable Viewer</a><ul>{menu}</ul></div>
<div class="pane big">
<table class="cable"><tr><th>Reference ID</th><th>Created</th><th>Released</th><th>Classification</th><th>Origin</th></tr>
<tr><td><a href="/cable/{rid}.html">{rid}</a></td><td>{date}</td><td>2011-08-30 01:44</td><td>{cls}</td>
<td>{origin}</td></tr></table>
<code><pre>{text}</pre></code></div><div id="sidebar">{side}</div></body></html>"""

PLUSD = """<!DOCTYPE html><html><head><title>Cable: {rid}_a</title></head><body><div id="leftmenu">
<div class="pick"><h3>Browse by TAGS</h3>{menu}</div></div><table>
<tr><td><div class="s_key"><a class="i">Date:</a></div><div class="s_val">{date}</div></td>
<td><div class="s_key"><a class="i">Canonical ID:</a></div><div class="s_val">{rid}_a</div></td></tr>
<tr><td><div class="s_key"><a class="i">TAGS:</a></div><div class="s_val">{pairs}</div></td></tr></table>
<div class="pane-tab"><div class="pane-header">Content</div><div class="pane-content"><div class="text-content">
{text}</div></div></div>
<div class="pane-tab"><div class="pane-header">Raw content</div><div class="pane-content"><div class="text-content">
{text}</div></div></div></body></html>"""


def pages(recs):
    menu = "".join(f"<li><a href='/tag/{c}'>{c}</a></li>" for c in ["PREL", "PGOV", "PHUM", "ECON", "KTIP"] * 20)
    side = "".join(f"<a href='/cable/{i}.html'>09STATE{i}</a> " for i in range(200))
    for r in recs:
        text = html.escape((r.get("preamble") or "") + "\n" + (r.get("body") or ""))
        date = (r.get("date") or "2009-01-01T00:00").replace("T", " ")
        yield CABLEGATE.format(rid=r["id"], menu=menu, date=date, cls=r.get("classification") or "",
                               origin=r.get("origin") or "", text=text, side=side).encode("utf-8")
        pairs = " | ".join(f"{c} - gloss" for c in (r.get("tags") or "").replace(",", " ").split()[:8])
        yield PLUSD.format(rid=r["id"], menu=menu, date=date, pairs=html.escape(pairs), text=text).encode("utf-8")


def throughput(corpus: str, n: int, runs: int = 3) -> None:
    from cabletags.scoring.corpus import read_corpus
    from cabletags.scoring.suggester import Suggester
    from cabletags.surfaces.batch import suggest_records

    # the first n cables are read; each timed run of read + suggested takes n cables of its own after a warm-up
    # batch, so that no run finds the normalizer's caches filled by an earlier one (as new cables would not)
    everything = list(itertools.islice(read_corpus(corpus), n * (runs + 1) + 256))
    recs = everything[:n]
    texts = [(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in recs]
    later = [[(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in everything[n * k:n * (k + 1)]]
             for k in range(1, runs + 1)]
    # how fast the machine is at the time, for figures read on another machine or hour: the standard library's JSON
    # over the same records (the shared machine's speed varies by up to 1.8x from hour to hour)
    lines = [json.dumps(r) for r in recs]
    t0 = time.perf_counter()
    for line in lines:
        json.dumps(json.loads(line))
    ref = len(lines) / (time.perf_counter() - t0)
    print(f"machine reference: json loads + dumps of the same {len(lines)} records: {ref:,.0f} records/s")
    read_cable(texts[0])
    t0 = time.perf_counter()
    for t in texts:
        read_cable(t)
    dt = time.perf_counter() - t0
    print(f"read: {len(texts)} bare whole cables in {dt:.2f} s = {len(texts) / dt:,.0f} cables/s")
    s = Suggester.load(cables_only=True)
    # warmed as a long run is (one batch: the n-gram tables loaded, the patterns compiled), then timed `runs` times
    warm = [(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in everything[-256:]]
    list(suggest_records(({"text": t} for t in warm), s, "text", "id", 10, cable=True))
    rates = []
    for run in later:
        t0 = time.perf_counter()
        rows = list(suggest_records(({"text": t} for t in run), s, "text", "id", 10, cable=True))
        rates.append(len(rows) / (time.perf_counter() - t0))
    print(f"read + suggested (whole-cable model, suggest --jsonl --cable path): {runs} runs of {len(rows)} other "
          "cables each: " + ", ".join(f"{r:,.0f}" for r in rates) + f" cables/s (best {max(rates):,.0f})")
    pg = list(pages(recs[: max(1, n // 4)]))
    t0 = time.perf_counter()
    for p in pg:
        read_cable(p)
    dt = time.perf_counter() - t0
    avg = sum(map(len, pg)) / len(pg) / 1024
    print(f"pages: {len(pg)} saved pages (cablegate 2011 and PlusD layouts, {avg:.0f} KB each) read in {dt:.2f} s = "
          f"{len(pg) / dt:,.0f} pages/s")


def stages(corpus: str, n: int) -> None:
    """Where a whole cable's time goes: each stage of `suggest --jsonl --cable` timed on its own over the same
    cables, in ms a cable (the n-gram tables built beforehand, as a long run has them)."""
    from cabletags.scoring.corpus import read_corpus
    from cabletags.scoring.products import dense_product
    from cabletags.scoring.suggester import Suggester

    recs = list(itertools.islice(read_corpus(corpus), n))
    texts = [(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in recs]
    s = Suggester.load(cables_only=True)
    m = s.cable_model
    m.vectorizer._ngram_tables()
    m.scorers  # links the vote to the reference index
    times = {}

    def timed(name, f):
        t0 = time.perf_counter()
        out = f()
        times[name] = (time.perf_counter() - t0) * 1000 / len(texts)
        return out

    cables = timed("read (read_cable)", lambda: [read_cable(t) for t in texts])
    read = timed("the text the model reads (cable_text)", lambda: [s.cable_text(c)[1] for c in cables])
    prepared = timed("boilerplate stripped (prepare)", lambda: m.prepare(read))
    X = timed("TF-IDF terms (vectorizer)", lambda: m.vectorizer.transform(prepared))
    timed("product with the weights", lambda: dense_product(X, m.weights_t))
    timed("reference index", lambda: m.references.features(read))
    timed("nearest-cables vote", lambda: m.neighbours.score(read, X))
    P, S = timed("all of scoring (predict)", lambda: m.predict(read))
    timed("ranking (ranked_rows, as suggest --jsonl)", lambda: s.ranked_rows(P, S, 10))
    print(f"stages of a whole cable over {len(texts)} cables (ms a cable):")
    for name, t in times.items():
        print(f"  {name:40} {t:6.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--cables", type=int, default=2000)
    ap.add_argument("--base", type=int, default=20000, help="the smallest pathological size, in characters")
    ap.add_argument("--skip-corpus", action="store_true")
    ap.add_argument("--stages", action="store_true", help="also time each stage of a whole cable on its own")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of read + suggested, after a warm-up batch")
    a = ap.parse_args(argv)
    ok = linear(a.base)
    if not a.skip_corpus:
        from cabletags.scoring.corpus import corpus_or_exit

        throughput(corpus_or_exit(a.corpus), a.cables, max(1, a.runs))
        if a.stages:
            stages(corpus_or_exit(a.corpus), a.cables)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
