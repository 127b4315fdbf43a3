"""Render an :func:`pipeline.evaluate.evaluate` report: a terminal table, and a
Markdown or HTML file with plots (per-label F1 bars with confidence intervals,
confusion between labels, reliability curves).

Markdown reports keep their PNGs in a folder beside them (``report_files/``) so
the file renders on any forge; HTML reports embed the images and stand alone.
Files are written atomically.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from .records import atomic_path

SETS = ("themes", "principles")


def _ci(values) -> str:
    return f"[{values[0]:.2f}, {values[1]:.2f}]" if values else ""


def summary_rows(report: dict) -> list[tuple[str, str, str]]:
    """(figure, value, 95% interval) rows: the headline numbers."""
    rows = []
    for name in SETS:
        entry = report["sets"][name]
        rows += [(f"{name} micro-F1", f"{entry['micro_f1']:.3f}", _ci(entry.get("micro_f1_ci"))),
                 (f"{name} macro-F1", f"{entry['macro_f1']:.3f}", _ci(entry.get("macro_f1_ci"))),
                 (f"{name} subset accuracy", f"{entry['subset_accuracy']:.3f}", ""),
                 (f"{name} ECE", f"{entry['ece']:.3f}", ""),
                 (f"{name}: practices with no label predicted", f"{entry['no_label_predicted']} of {entry['n']}", "")]
    pillar = report["sets"].get("pillar")
    if pillar:
        rows += [("pillar accuracy", f"{pillar['accuracy']:.3f}", _ci(pillar.get("accuracy_ci"))),
                 ("pillar ECE", f"{pillar['ece']:.3f}", "")]
    return rows


def terminal_table(report: dict) -> str:
    """Plain-text summary for the terminal."""
    lines = [f"{report['model']} on {report['source']} ({report['n']} practices)", ""]
    rows = summary_rows(report)
    width = max(len(r[0]) for r in rows)
    lines += [f"{figure:<{width}}  {value:>10}  {ci}" for figure, value, ci in rows]
    for name in SETS:
        lines += ["", f"{name}: label{' ' * 32}P      R      F1     support  F1 95% CI"]
        for label, m in report["sets"][name]["per_label"].items():
            lines.append(f"  {label:<42}{m['precision']:.3f}  {m['recall']:.3f}  {m['f1']:.3f}  "
                         f"{m['support']:>7}  {_ci(m.get('f1_ci'))}")
    for title, key in (("by text style", "by_style"), ("by world region", "by_region")):
        lines += ["", f"{title}: n, themes micro-F1, principles micro-F1, pillar accuracy"]
        for group, g in report[key].items():
            pillar = "-" if g["pillar_accuracy"] is None else f"{g['pillar_accuracy']:.3f}"
            lines.append(f"  {group:<48}{g['n']:>4}  {g['themes_micro_f1']:.3f}  "
                         f"{g['principles_micro_f1']:.3f}  {pillar}")
    lines += ["", "segmentation: " + _segmentation_text(report["segmentation"])]
    return "\n".join(lines)


def _segmentation_text(figures: dict) -> str:
    if not figures.get("available"):
        return f"not available ({figures.get('reason', '')})"
    parts = []
    for group in ("unheaded", "headed"):
        g = figures.get(group)
        if g:
            parts.append(f"{group} ({g['documents']} documents, {g['sentences']} sentences): part accuracy "
                         f"{g['part_accuracy']:.3f}, practice-boundary P/R/F1 {g['boundary_precision']:.3f}/"
                         f"{g['boundary_recall']:.3f}/{g['boundary_f1']:.3f}")
    return "; ".join(parts) or "no segment documents"


def plots(report: dict) -> dict[str, bytes]:
    """PNG bytes by file name."""
    from matplotlib.figure import Figure  # no pyplot: leaves the caller's backend alone

    images = {}

    def save(fig, name):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        images[name] = buffer.getvalue()

    for name in SETS:
        per_label = report["sets"][name]["per_label"]
        labels = list(per_label)
        f1 = [per_label[k]["f1"] for k in labels]
        errors = [[max(0.0, per_label[k]["f1"] - per_label[k].get("f1_ci", [per_label[k]["f1"]] * 2)[0]) for k in labels],
                  [max(0.0, per_label[k].get("f1_ci", [per_label[k]["f1"]] * 2)[1] - per_label[k]["f1"]) for k in labels]]
        fig = Figure(figsize=(7, 0.32 * len(labels) + 1))
        ax = fig.subplots()
        ax.barh(labels, f1, xerr=errors, color="#4c72b0", ecolor="#444", capsize=2)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("F1 (bars: 95% bootstrap interval)")
        ax.set_title(f"{name}: F1 per label")
        save(fig, f"{name}_f1.png")
    for name in (*SETS, "pillar"):
        entry = report["sets"].get(name)
        if not entry:
            continue
        labels, matrix = entry["confusion"]["labels"], entry["confusion"]["matrix"]
        fig = Figure(figsize=(0.42 * len(labels) + 2.5, 0.42 * len(labels) + 2))
        ax = fig.subplots()
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                if count:
                    ax.text(j, i, str(count), ha="center", va="center", fontsize=6)
        ax.set_title(f"{name}: true label (row) vs predicted label (column)")
        save(fig, f"{name}_confusion.png")
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    for name in (*SETS, "pillar"):
        entry = report["sets"].get(name)
        if entry and entry.get("reliability"):
            curve = entry["reliability"]
            ax.plot([b["mean_score"] for b in curve], [b["observed"] for b in curve], marker="o",
                    label=f"{name} (ECE {entry['ece']:.3f})")
    ax.set_xlabel("predicted score")
    ax.set_ylabel("observed frequency")
    ax.set_title("Reliability")
    ax.legend(loc="upper left", fontsize=8)
    save(fig, "reliability.png")
    return images


def _markdown(report: dict, image_refs: dict[str, str]) -> str:
    lines = [f"# Evaluation of `{report['model']}`", "",
             f"On {report['source']}: {report['n']} labelled practices (taxonomy version "
             f"{report['taxonomy_version']}). Intervals are 95% percentile bootstrap over practices.", "",
             "| figure | value | 95% interval |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in summary_rows(report)]
    for name in SETS:
        lines += ["", f"## {name.capitalize()}", "", f"![{name} F1 per label]({image_refs[f'{name}_f1.png']})", "",
                  "| label | precision | recall | F1 | F1 95% interval | support |", "|---|---|---|---|---|---|"]
        for label, m in report["sets"][name]["per_label"].items():
            lines.append(f"| `{label}` | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                         f"{_ci(m.get('f1_ci'))} | {m['support']} |")
        lines += ["", f"![{name} confusion]({image_refs[f'{name}_confusion.png']})"]
    if "pillar_confusion.png" in image_refs:
        lines += ["", "## Pillar", "", f"![pillar confusion]({image_refs['pillar_confusion.png']})"]
    lines += ["", "## Calibration", "", f"![reliability curve]({image_refs['reliability.png']})", ""]
    for title, key in (("By text style", "by_style"), ("By world region", "by_region")):
        lines += [f"## {title}", "", "| group | practices | themes micro-F1 | principles micro-F1 | pillar accuracy |",
                  "|---|---|---|---|---|"]
        for group, g in report[key].items():
            pillar = "–" if g["pillar_accuracy"] is None else f"{g['pillar_accuracy']:.3f}"
            lines.append(f"| {group} | {g['n']} | {g['themes_micro_f1']:.3f} | {g['principles_micro_f1']:.3f} | {pillar} |")
        lines.append("")
    lines += ["## Segmentation", "", _segmentation_text(report["segmentation"]), ""]
    return "\n".join(lines)


def write_report(report: dict, path: str | Path) -> Path:
    """Write ``path`` as Markdown (``.md``) or HTML (``.html``/``.htm``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm"):
        raise ValueError(f"report must end in .md or .html, not {path.name!r}")
    images = plots(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".md":
        folder = path.with_name(f"{path.stem}_files")
        folder.mkdir(exist_ok=True)
        for name, data in images.items():
            with atomic_path(folder / name) as tmp:
                tmp.write_bytes(data)
        text = _markdown(report, {name: f"{folder.name}/{name}" for name in images})
    else:
        refs = {name: "data:image/png;base64," + base64.b64encode(data).decode() for name, data in images.items()}
        text = _html(_markdown(report, refs))
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _html(markdown: str) -> str:
    """A small Markdown-to-HTML for the report's own constructs (headings,
    tables, images, paragraphs): no extra dependency for one page."""
    import re

    body, table = [], []

    def inline(text):
        text = html.escape(text)
        text = re.sub(r"!\[([^\]]*)\]\(([^)]*)\)", r'<img alt="\1" src="\2">', text)
        return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)

    def flush():
        if table:
            head, *rows = [[c.strip() for c in r.strip("|").split("|")] for r in table if not set(r) <= set("|-")]
            body.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows)
                        + "</table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    flush()
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Evaluation</title><style>{style}</style>"
            f"</head><body>{''.join(body)}</body></html>\n")
