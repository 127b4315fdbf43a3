"""One self-contained HTML page that shows what a classification run found.

Analysts would rather look at a page than read JSONL: counts per theme,
principle and pillar, themes by country and by document, score distributions,
the practices the model was least sure about, and every practice with its parts
and tags. Charts are drawn with matplotlib and inlined as SVG, styles are
inline, and the only script is a few lines of plain JavaScript for the search
box, so the page opens offline, from an e-mail attachment or a shared drive.
"""
from __future__ import annotations

import html
import io
import logging
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from .config import LABELS_FILE, MODELS_DIR
from .corpus import Taxonomy, load_taxonomy
from .records import atomic_open, read_jsonl
from .review import score_arrays, uncertainty

log = logging.getLogger(__name__)
PALETTE = {"themes": "#3b6ea8", "principles": "#6a8f3a", "pillar": "#b5643c", "grid": "#d9d9d9"}
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:24px 40px}header h1{margin:0 0 6px;font-size:26px}
header p{margin:2px 0;opacity:.85}main{padding:16px 40px 60px;max-width:1200px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:16px 22px;margin:18px 0}
h2{font-size:19px;margin:4px 0 12px}.figures{display:flex;gap:14px;flex-wrap:wrap}
.figure{background:#eef2f7;border-radius:6px;padding:10px 16px;min-width:120px}
.figure b{display:block;font-size:24px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}
svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #eceff2;text-align:left;vertical-align:top}
th{background:#f1f3f5;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow:auto;max-height:520px}.tag{display:inline-block;border-radius:10px;padding:1px 8px;margin:1px;
font-size:12px;color:#fff}.t{background:#3b6ea8}.p{background:#6a8f3a}.pl{background:#b5643c}.low{opacity:.55}
details{border-top:1px solid #eceff2;padding:8px 0}summary{cursor:pointer;font-weight:600}
.meta{color:#5b6673;font-size:13px}.part h4{margin:8px 0 2px;font-size:13px;text-transform:capitalize;color:#5b6673}
.part p{margin:0 0 4px;white-space:pre-wrap;font-size:14px}input[type=search]{padding:6px 10px;width:320px;
border:1px solid #c9d0d8;border-radius:6px;margin-bottom:8px}.err{color:#9b2226}
"""
SEARCH_SCRIPT = """
document.getElementById('search').addEventListener('input', function (event) {
  var query = event.target.value.toLowerCase();
  var items = document.querySelectorAll('#practices details');
  var shown = 0;
  items.forEach(function (item) {
    var hit = item.textContent.toLowerCase().indexOf(query) !== -1;
    item.style.display = hit ? '' : 'none';
    if (hit) { shown += 1; }
  });
  document.getElementById('shown').textContent = shown;
});
"""


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "hrc-report"})
    return plt


def bar_chart(counts: Counter, labels: list[str], title: str, color: str) -> str:
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    ordered = sorted(labels, key=lambda label: (counts[label], label))
    fig, ax = plt.subplots(figsize=(5.2, 0.26 * len(ordered) + 0.9))
    ax.barh(ordered, [counts[label] for label in ordered], color=color)
    for y, label in enumerate(ordered):
        ax.text(counts[label], y, f" {counts[label]}", va="center", fontsize=8)
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xlabel("practices")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", color=PALETTE["grid"], linewidth=0.6)
    ax.set_axisbelow(True)
    return _svg(fig)


def heatmap(matrix: list[list[int]], rows: list[str], columns: list[str], title: str) -> str:
    import numpy as np

    plt = _pyplot()
    data = np.array(matrix, dtype=float) if matrix else np.zeros((1, len(columns)))
    fig, ax = plt.subplots(figsize=(0.36 * len(columns) + 2.6, 0.3 * max(len(rows), 1) + 1.9))
    ax.imshow(data, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if data[i, j]:
                ax.text(j, i, int(data[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if data[i, j] > data.max() / 2 else "#1d2733")
    ax.set_title(title, loc="left", fontsize=10)
    ax.spines[:].set_visible(False)
    return _svg(fig)


def score_histogram(records: list[dict]) -> str:
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.6))
    bins = [i / 20 for i in range(21)]
    for ax, name in zip(axes, ("themes", "principles")):
        predicted = [s["score"] for r in records for s in r.get(name) or [] if s["predicted"]]
        others = [s["score"] for r in records for s in r.get(name) or [] if not s["predicted"]]
        ax.hist([others, predicted], bins=bins, stacked=True, color=["#c9d3df", PALETTE[name]],
                label=["not predicted", "predicted"])
        ax.set_yscale("log")
        ax.set_title(f"{name}: every label's score", loc="left", fontsize=10)
        ax.set_xlabel("calibrated score")
        ax.legend(fontsize=7, frameon=False)
    pillar = [(r.get("pillar") or {}).get("score") for r in records if r.get("pillar")]
    axes[2].hist(pillar, bins=bins, color=PALETTE["pillar"])
    axes[2].set_title("pillar: score of the predicted pillar", loc="left", fontsize=10)
    axes[2].set_xlabel("calibrated score")
    axes[2].yaxis.set_major_locator(MaxNLocator(integer=True))
    return _svg(fig)


def predicted(record: dict, name: str) -> list[str]:
    if name == "pillar":
        return [record["pillar"]["label"]] if record.get("pillar") else []
    return [s["label"] for s in record.get(name) or [] if s["predicted"]]


def _tags(record: dict) -> str:
    out = []
    for name, css in (("themes", "t"), ("principles", "p")):
        for s in record.get(name) or []:
            if s["predicted"]:
                out.append(f'<span class="tag {css}" title="{name}: score {s["score"]:.2f}">{_esc(s["label"])} '
                           f'{s["score"]:.2f}</span>')
    if record.get("pillar"):
        out.append(f'<span class="tag pl" title="pillar">{_esc(record["pillar"]["label"])} '
                   f'{record["pillar"]["score"]:.2f}</span>')
    return "".join(out) or '<span class="meta">no label predicted</span>'


def _practice(record: dict, value: float | None) -> str:
    place = record.get("place") or {}
    where = ", ".join(v for v in (place.get("city"), place.get("country")) if v)
    parts = "".join(f'<div class="part"><h4>{_esc(name)}</h4><p>{_esc(text)}</p></div>'
                    for name, text in (record.get("sections") or {}).items() if text)
    if not parts:
        parts = f'<div class="part"><p>{_esc(record.get("text"))}</p></div>'
    pages = ", ".join(map(str, (record.get("provenance") or {}).get("pages") or []))
    return (f'<details><summary>{_esc(record.get("title") or record.get("practice_id"))}'
            f'{" — " + _esc(where) if where else ""}</summary>'
            f'<p class="meta">{_esc(record.get("practice_id"))} · {_esc(record.get("source"))}'
            f'{" · pages " + _esc(pages) if pages else ""}'
            f'{f" · uncertainty {value:.2f}" if value is not None else ""}</p>'
            f'<p>{_tags(record)}</p>{parts}</details>')


def _table(header: list[str], rows: list[list], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{_esc(c)}</td>' if j >= numeric_from else f"<td>{c}</td>"
                                    for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def cross_counts(records: list[dict], key, labels: list[str], limit: int) -> tuple[list[str], list[list[int]]]:
    """Theme counts for the ``limit`` groups (by ``key``) with the most practices."""
    by_group: dict[str, Counter] = defaultdict(Counter)
    sizes: Counter = Counter()
    for record in records:
        group = key(record) or "(unknown)"
        sizes[group] += 1
        by_group[group].update(predicted(record, "themes"))
    groups = [g for g, _ in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
    return groups, [[by_group[g][label] for label in labels] for g in groups]


def build_html(run_file: str | Path, records: list[dict], errors: list[dict], taxonomy: Taxonomy,
               models_dir: Path, settings: dict) -> str:
    limits = settings
    practices = records
    counts = {name: Counter(l for r in practices for l in predicted(r, name)) for name in ("themes", "principles",
                                                                                            "pillar")}
    models = sorted({(r.get("model") or {}).get("version") or "?" for r in practices})
    documents = sorted({r.get("source") for r in practices})
    countries = {(r.get("place") or {}).get("country") for r in practices} - {None}
    theme_labels = list(taxonomy["themes"].labels)
    values = None
    if practices:
        scores, thresholds = score_arrays(practices, taxonomy, models_dir)
        values = uncertainty(scores, thresholds, "entropy")
    order = sorted(range(len(practices)), key=lambda i: -values[i]) if values is not None else []
    figures = [("practices", len(practices)), ("documents", len(documents)), ("countries", len(countries)),
               ("inputs that failed", len(errors)),
               ("with no theme predicted", sum(not predicted(r, "themes") for r in practices))]
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
           f"content=\"width=device-width, initial-scale=1\"><title>Report: {_esc(Path(run_file).name)}</title>"
           f"<style>{STYLE}</style></head><body>",
           f"<header><h1>What the run found: {_esc(Path(run_file).name)}</h1>"
           f"<p>Model {_esc(', '.join(models))} · taxonomy version {_esc(taxonomy.version)} · "
           f"report made {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}</p></header><main>",
           '<section><h2>Overview</h2><div class="figures">'
           + "".join(f'<div class="figure"><b>{v}</b>{_esc(k)}</div>' for k, v in figures) + "</div></section>"]
    if practices:
        out.append('<section><h2>Practices per label</h2><div class="grid">'
                   + bar_chart(counts["themes"], theme_labels, "Themes", PALETTE["themes"])
                   + bar_chart(counts["principles"], list(taxonomy["principles"].labels), "Gwangju principles",
                               PALETTE["principles"])
                   + bar_chart(counts["pillar"], list(taxonomy["pillar"].labels), "Pillar", PALETTE["pillar"])
                   + "</div></section>")
        groups, matrix = cross_counts(practices, lambda r: (r.get("place") or {}).get("country"), theme_labels,
                                      limits["max_countries"])
        out.append(f"<section><h2>Themes by country</h2><p class=\"meta\">The {len(groups)} countries with the "
                   "most practices; each cell counts practices with the theme predicted.</p>"
                   + heatmap(matrix, groups, theme_labels, "Themes by country") + "</section>")
        groups, matrix = cross_counts(practices, lambda r: r.get("source"), theme_labels, limits["max_documents"])
        rows = [[_esc(g), sum(1 for r in practices if r.get("source") == g)]
                + [m or "" for m in row] for g, row in zip(groups, matrix)]
        out.append("<section><h2>Themes by document</h2>"
                   + _table(["document", "practices", *theme_labels], rows) + "</section>")
        out.append("<section><h2>Score distributions</h2><p class=\"meta\">Scores are calibrated: of the labels "
                   "scored around 0.7, about 70% are right. Many scores near the thresholds mean a reviewer "
                   "would help most.</p>" + score_histogram(practices) + "</section>")
        least = order[:limits["least_certain"]]
        out.append(f"<section><h2>The {len(least)} least certain practices</h2><p class=\"meta\">Ranked by the entropy "
                   "of their calibrated scores, as `hrc review export` ranks them for a reviewer.</p>"
                   + "".join(_practice(practices[i], float(values[i])) for i in least) + "</section>")
        out.append(f'<section id="practices"><h2>Every practice (<span id="shown">{len(practices)}</span>)</h2>'
                   '<input type="search" id="search" placeholder="Filter by any word, label or place" '
                   'aria-label="Filter practices">'
                   + "".join(_practice(practices[i], float(values[i])) for i in range(len(practices)))
                   + "</section>")
    if errors:
        out.append("<section><h2 class=\"err\">Inputs that failed</h2>" + _table(
            ["source", "stage", "code", "reason"],
            [[_esc(e.get("source")), _esc(e.get("stage")), _esc(e.get("code")), _esc(e.get("reason"))]
             for e in errors], numeric_from=9) + "</section>")
    out.append(f"</main><script>{SEARCH_SCRIPT}</script></body></html>" if practices else "</main></body></html>")
    return "\n".join(out)


def report(run_file: str | Path, output: str | Path, labels_file: str | Path = LABELS_FILE,
           models_dir: str | Path = MODELS_DIR, settings: dict | None = None) -> int:
    """Write the HTML report of a run; returns the number of practices shown."""
    from .config import settings as load_settings

    settings = (settings or load_settings())["report"]
    records = read_jsonl(run_file)
    practices = [r for r in records if r.get("record_type") == "practice" and "themes" in r]
    errors = [r for r in records if r.get("record_type") == "error"]
    page = build_html(run_file, practices, errors, load_taxonomy(labels_file), Path(models_dir), settings)
    with atomic_open(output) as handle:
        handle.write(page)
    log.info("report of %d practices written to %s", len(practices), output)
    return len(practices)
