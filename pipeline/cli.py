"""The ``hrc`` command: a thin layer over the library.

Each command parses options, calls the library function of the same name, and
turns a PipelineError into a one-line message. Exit codes: 0 all inputs
succeeded, 1 some failed (or a model/corpus error), 2 usage error.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .errors import PipelineError


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Log debugging detail to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Read human-rights-city documents: extract, segment and tag local practices."""
    ctx.obj = {"verbose": verbose}


def _batch_command(stage: str):
    def command(ctx, inputs, output, quiet, strict, unit="practice", model=None, config=None, **run_options):
        _setup_logging(quiet, ctx.obj["verbose"])
        from .config import settings
        options = settings(config)
        if run_options.get("engine", "local") == "local":
            _start_workers_early(inputs, run_options.get("workers") or options["runner"]["workers"])
        from . import batch   # after the workers are on their way: its imports overlap their start

        if run_options.pop("allow_private_hosts", False):
            options["fetch"]["allow_private_hosts"] = True
        try:
            summary = batch.run(list(inputs), output, stage=stage, model=model, unit=unit, quiet=quiet,
                                strict=strict, settings=options, **run_options)
        except PipelineError as exc:
            raise click.ClickException(f"{exc} ({exc.code})") from exc
        if not quiet:
            click.echo(summary.line(), err=True)
            for error in summary.errors:
                click.echo(f"  {error['source']}: [{error['code']}] {error['stage']}: {error['reason']}", err=True)
        ctx.exit(1 if summary.failed else 0)
    return command


def _start_workers_early(inputs, workers: int | None) -> None:
    """Start the local engine's workers before the batch machinery is imported (see
    :mod:`pipeline.runner.spawn`): one per input, up to the worker count. A run that needs fewer
    (a resumed run, a folder of other files) stops the rest as soon as its own have started."""
    from .runner.spawn import cores, start_early

    wanted = workers or cores()
    named = 0
    for source in inputs:
        if source != "-" and Path(source).is_dir():   # its files, counted only as far as needed
            named += sum(1 for _ in zip(range(wanted), (p for p in Path(source).rglob("*")
                                                        if p.is_file() and not p.name.startswith("."))))
        else:
            named += 1
        if named >= wanted:
            break
    start_early(min(wanted, named))


def _run_options(command):
    """Options every batch command shares: where it runs, and how it treats the network."""
    for option in reversed([
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: all cores; runner.workers in the settings)."),
        click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
                     help="local: worker processes here; dask: a Dask cluster (needs --scheduler)."),
        click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
        click.option("--no-resume", "resume", flag_value=False, default=True,
                     help="Start afresh even if an interrupted run of this command left its manifest."),
        click.option("--allow-private-hosts", is_flag=True,
                     help="Fetch URLs on private, loopback and link-local addresses (refused by default)."),
    ]):
        command = option(command)
    return command


_inputs = click.argument("inputs", nargs=-1, required=True)
_output = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                       help="Output file: .jsonl, .csv or .parquet.")
_quiet = click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
_strict = click.option("--strict", is_flag=True, help="Stop at the first input that fails.")
_config = click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Settings YAML laid over the defaults.")


@cli.command()
@_inputs
@_output
@click.option("--unit", type=click.Choice(["practice", "document"]), default="practice",
              help="One record per practice found, or per input document.")
@click.option("--model", default="default", help="Model version under models/, or a model folder.")
@click.option("--explain", is_flag=True, help="For each predicted label, add the terms and the sentence that drove it.")
@_quiet
@_strict
@_config
@_run_options
@click.pass_context
def classify(ctx, inputs, output, unit, model, explain, quiet, strict, config, **run_options):
    """Extract, segment and tag INPUTS (files, folders, URLs, or - for stdin).

    Example: hrc classify corpus/examples -o tagged.jsonl
    """
    _batch_command("classify")(ctx, inputs, output, quiet, strict, unit, model, config, explain=explain,
                               **run_options)


@cli.command()
@_inputs
@_output
@_quiet
@_strict
@_config
@_run_options
@click.pass_context
def extract(ctx, inputs, output, quiet, strict, config, **run_options):
    """Extract text, blocks, headings and pages from INPUTS.

    Example: hrc extract report.pdf page.html -o extracted.jsonl
    """
    _batch_command("extract")(ctx, inputs, output, quiet, strict, config=config, **run_options)


@cli.command()
@_inputs
@_output
@click.option("--unit", type=click.Choice(["practice", "document"]), default="practice")
@_quiet
@_strict
@_config
@_run_options
@click.pass_context
def segment(ctx, inputs, output, unit, quiet, strict, config, **run_options):
    """Split INPUTS into practices with their parts and place.

    Example: hrc segment report.pdf -o practices.jsonl
    """
    _batch_command("segment")(ctx, inputs, output, quiet, strict, unit, config=config, **run_options)


@cli.command()
@click.option("--corpus", "practices_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Labelled practices JSONL (default: corpus/practices.jsonl).")
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
@click.option("--version", "version", default=None, help="Name of the model folder to write.")
@click.option("--make-default", is_flag=True, help="Point models/DEFAULT at the new model.")
@_quiet
@_config
def train(practices_file, labels_file, models_dir, version, make_default, quiet, config):
    """Train the tagger on the corpus and write a model folder with its card.

    Example: hrc train --make-default
    """
    _setup_logging(quiet, False)
    from .config import LABELS_FILE, MODELS_DIR, PRACTICES_FILE, settings
    try:
        from . import train as train_module

        bundle = train_module.train(practices_file or PRACTICES_FILE, labels_file or LABELS_FILE,
                                    models_dir or MODELS_DIR, settings(config), version, make_default)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    metrics = bundle.card["metrics"]["heldout"]
    if not quiet:
        click.echo(f"model {bundle.version}: " + json.dumps(
            {k: {m: v for m, v in metrics[k].items() if m != "per_label"} for k in metrics}), err=True)


@cli.command("train-segmenter")
@click.option("--segments", "segments_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Segment documents JSONL (default: corpus/segments.jsonl).")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
@_quiet
@_config
def train_segmenter(segments_file, models_dir, quiet, config):
    """Train the sentence-role tagger used on text without part headings.

    Writes models/segmenter with its card (held-out part accuracy and
    practice-boundary F1). Example: hrc train-segmenter
    """
    _setup_logging(quiet, False)
    from .config import MODELS_DIR, SEGMENTS_FILE, settings
    from .segment.training import train_segmenter as train_tagger
    folder = train_tagger(segments_file or SEGMENTS_FILE, models_dir or MODELS_DIR, settings(config))
    if not quiet:
        card = json.loads((Path(folder) / "card.json").read_text(encoding="utf-8"))
        click.echo(f"segmenter {folder}: " + json.dumps(card["metrics"]), err=True)


@cli.command()
@click.option("--gold", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Labelled practices JSONL to score on (default: the corpus's held-out split).")
@click.option("--model", default="default", help="Model version under models/, or a model folder.")
@click.option("-o", "--output", "report_file", type=click.Path(dir_okay=False), default=None,
              help="Also write a report with plots: .md or .html.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), default=None,
              help="Also write every figure as JSON.")
@_quiet
@_config
def evaluate(gold, model, report_file, json_file, quiet, config):
    """Score a model: per-label P/R/F1 with bootstrap intervals, micro/macro F1,
    subset accuracy, calibration, breakdowns by style and region.

    Example: hrc evaluate --gold ../shared/seeds/gold/practices.jsonl -o report.html
    """
    _setup_logging(quiet, False)
    from . import evaluate as evaluate_module
    from .config import settings
    from .evaluation_report import terminal_table, write_report
    from .records import atomic_path
    try:
        report = evaluate_module.evaluate(gold, model, settings(config))
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    if report_file:
        try:
            write_report(report, report_file)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    if json_file:
        with atomic_path(json_file) as tmp:
            tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not quiet:
        click.echo(terminal_table(report))


@cli.command()
@click.argument("run_file", type=click.Path(exists=True, dir_okay=False))
@_output
@click.option("--layout", type=click.Choice(["wide", "long"]), default="wide",
              help="wide: a row per practice, a 0/1 and a score column per label; long: a row per practice and label.")
@click.option("--theme", "themes", multiple=True, help="Keep practices with this predicted theme (repeatable: any of).")
@click.option("--principle", "principles", multiple=True, help="Keep practices with this predicted principle.")
@click.option("--country", "countries", multiple=True, help="Keep practices in this country (repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help="With --theme/--principle: that label scores at least this (instead of being predicted); "
                   "otherwise: some theme or principle scores at least this. Long layout: drop rows below it.")
@click.option("--include-errors", is_flag=True, help="Copy the run as is, error records included (no filters).")
def export(run_file, output, layout, themes, principles, countries, min_score, include_errors):
    """Turn a classification output into CSV (wide or long), JSONL or Parquet, with a
    data dictionary beside it (OUTPUT.dictionary.md).

    Example: hrc export tagged.jsonl -o housing.csv --theme right_to_housing --country France
    """
    from .config import LABELS_FILE
    from .tables import Filters, dictionary_path, export as export_fn

    try:
        if include_errors:
            from .export import export as export_errors

            count = export_errors(run_file, output, include_errors)
        else:
            count = export_fn(run_file, output, layout, Filters(list(themes), list(principles), list(countries),
                                                                min_score), LABELS_FILE)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    suffix = "" if include_errors else f" (data dictionary: {dictionary_path(output)})"
    click.echo(f"{count} {'rows' if layout == 'long' else 'records'} written to {output}{suffix}", err=True)


@cli.command()
@click.argument("run_file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The HTML page to write.")
@_config
def report(run_file, output, config):
    """One self-contained HTML page of what a classification run found.

    Example: hrc report tagged.jsonl -o report.html
    """
    from .config import LABELS_FILE, MODELS_DIR, settings
    from .report import report as report_fn

    try:
        count = report_fn(run_file, output, LABELS_FILE, MODELS_DIR, settings(config))
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"report of {count} practices written to {output}", err=True)


@cli.group()
def models():
    """List, compare and promote the trained models."""


@models.command("list")
def models_list():
    """Show each model folder with its taxonomy and held-out scores; * marks the default.

    Example: hrc models list
    """
    from .config import MODELS_DIR
    from .registry import list_models

    for row in list_models(MODELS_DIR):
        heldout = row["heldout"]
        figures = ", ".join(f"{k} macro-F1 {v['macro_f1']} micro-F1 {v['micro_f1']}"
                            for k, v in heldout.items() if "micro_f1" in v)
        if "accuracy" in heldout.get("pillar", {}):
            figures += f", pillar accuracy {heldout['pillar']['accuracy']}"
        click.echo(f"{'*' if row['default'] else ' '} {row['version']}  taxonomy {row['taxonomy_version']}  "
                   f"{row['created'] or ''}  {'served form' if row['served'] else 'pickle only'}  {figures}")


@models.command("trust")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def models_trust(folder):
    """Allow unpickling a model folder trained elsewhere (its served arrays need no trust).

    Example: hrc models trust ~/Downloads/tagger-1234abcd-5678ef
    """
    from .models import trust_model
    try:
        digest = trust_model(folder)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"trusted {folder} (sha256 {digest[:12]}…)", err=True)


@models.command("add-served-form")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def models_add_served_form(folder):
    """Write the served form (plain arrays) of a model folder saved without one.

    Classifying and segmenting read it instead of the pickle, so workers start without
    scikit-learn. Folders written by `hrc train` or `hrc train-segmenter` already have one.

    Example: hrc models add-served-form models/tagger-1234abcd-5678ef
    """
    from .models import add_served_form
    from .errors import NotServable

    try:
        digest = add_served_form(folder)
    except NotServable as exc:
        raise click.ClickException(f"{folder} cannot be served from arrays: {exc}; it is loaded from its pickle") from exc
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"served form written to {folder} (sha256 {digest[:12]}…)", err=True)


@models.command("compare")
@click.argument("a")
@click.argument("b")
def models_compare(a, b):
    """Score models A and B on the same test practices; per-label F1 and B-A.

    Example: hrc models compare default tagger-1234abcd-56ef78
    """
    from .config import MODELS_DIR, PRACTICES_FILE
    from .registry import compare

    try:
        comparison = compare(a, b, PRACTICES_FILE, MODELS_DIR)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo("\n".join(comparison.lines()))


@models.command("promote")
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote even when it is worse than the current default.")
@click.option("--tolerance", type=float, default=None,
              help="Largest drop allowed in any headline figure (default: models.promote_tolerance).")
@_config
def models_promote(version, force, tolerance, config):
    """Make VERSION the default model, unless it is worse than the current one.

    Example: hrc models promote tagger-1234abcd-56ef78
    """
    from .config import MODELS_DIR, PRACTICES_FILE, settings
    from .registry import promote

    try:
        comparison = promote(version, force, tolerance, PRACTICES_FILE, MODELS_DIR, settings=settings(config))
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    if comparison:
        click.echo("\n".join(comparison.lines()[:8]), err=True)
    click.echo(f"{version} is now the default model", err=True)


@cli.group()
def review():
    """Hand out uncertain practices for review and import the curated labels."""


@review.command("export")
@click.argument("run_file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="A .csv for a spreadsheet or a .json of Label Studio tasks (config written beside it).")
@click.option("--limit", type=int, default=None, help="Only the N most uncertain practices.")
@click.option("--strategy", type=click.Choice(["entropy", "margin", "random"]), default="entropy",
              help="How uncertainty is measured on the calibrated scores (entropy: summed label entropy; "
                   "margin: closest score to its threshold).")
def review_export(run_file, output, limit, strategy):
    """Write RUN_FILE's practices to review, most uncertain first, predictions prefilled.

    Example: hrc review export tagged.jsonl -o review.csv --limit 100
    """
    from .config import LABELS_FILE, MODELS_DIR
    from .review import config_path, review_export as review_export_fn

    try:
        count = review_export_fn(run_file, output, limit, strategy, LABELS_FILE, MODELS_DIR)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    extra = f" (Label Studio config: {config_path(output)})" if output.lower().endswith(".json") else ""
    click.echo(f"{count} practices written to {output}{extra}", err=True)


@review.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write the rejected ones to a file.")
@click.option("--rejected", "rejected_file", type=click.Path(dir_okay=False), default=None,
              help="Where rejected rows go with --skip-invalid (default: FILE.rejected.csv).")
def review_import(files, skip_invalid, rejected_file):
    """Merge curated CSV or Label Studio JSON FILES into the corpus, with provenance.

    Every row is checked first; any problem stops the import (nothing changes)
    unless --skip-invalid. Example: hrc review import review.csv
    """
    from .config import LABELS_FILE, PRACTICES_FILE
    from .curate import CurationError, review_import as review_import_fn

    try:
        summary = review_import_fn(list(files), PRACTICES_FILE, LABELS_FILE, skip_invalid, rejected_file)
    except CurationError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing imported ({exc.code})") from exc
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    for problem in summary.problems:
        click.echo(f"rejected: {problem}", err=True)
    click.echo(summary.line(), err=True)


@cli.group()
def labels():
    """Change the taxonomy: add, rename or drop a label (corpus updated, version bumped)."""


@labels.command("add")
@click.argument("label_set", type=click.Choice(["themes", "principles", "pillar"]))
@click.argument("label")
@click.option("--name", default="", help="Human-readable name.")
@click.option("--description", default="", help="What the label covers (shown to reviewers).")
def labels_add(label_set, label, name, description):
    """Add LABEL to LABEL_SET; then import curated examples and train.

    Example: hrc labels add themes digital_rights --description "Privacy, data, internet access"
    """
    from .config import LABELS_FILE
    from .taxonomy_changes import labels_add as labels_add_fn

    try:
        version = labels_add_fn(label_set, label, name, description, LABELS_FILE)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"{label_set}/{label} added; taxonomy version {version}", err=True)


@labels.command("rename")
@click.argument("label_set", type=click.Choice(["themes", "principles", "pillar"]))
@click.argument("old")
@click.argument("new")
def labels_rename(label_set, old, new):
    """Rename OLD to NEW in the label file and in every corpus practice.

    Example: hrc labels rename themes health_and_food health
    """
    from .config import LABELS_FILE, PRACTICES_FILE
    from .taxonomy_changes import labels_rename as labels_rename_fn

    try:
        version, changed = labels_rename_fn(label_set, old, new, LABELS_FILE, PRACTICES_FILE)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"{label_set}/{old} renamed to {new} in {changed} practices; taxonomy version {version}", err=True)


@labels.command("drop")
@click.argument("label_set", type=click.Choice(["themes", "principles", "pillar"]))
@click.argument("label")
def labels_drop(label_set, label):
    """Drop LABEL from the label file and from every corpus practice.

    Example: hrc labels drop themes memory_and_peace
    """
    from .config import LABELS_FILE, PRACTICES_FILE
    from .taxonomy_changes import labels_drop as labels_drop_fn

    try:
        version, changed = labels_drop_fn(label_set, label, LABELS_FILE, PRACTICES_FILE)
    except PipelineError as exc:
        raise click.ClickException(f"{exc} ({exc.code})") from exc
    click.echo(f"{label_set}/{label} dropped from {changed} practices; taxonomy version {version}", err=True)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
