"""Command line: ingest, ask, eval, move-index. Each command parses, calls the core, and formats; nothing else."""
from __future__ import annotations

import argparse
import json
import re
import sys

from ingest.clean import one_line, terminal_safe
from schema import UserError
from settings import (ANSWER_MODES, RETRIEVERS, Settings, choice_problem, count_problem, folder_problem,
                      url_problem)

# The flags that set a setting (each flag's value is args.<flag name>): Settings checks them and names the flag.
SETTING_FLAGS = {"index_dir": "--index", "embed_model": "--model", "answer_mode": "--mode", "top_k": "--k",
                 "retriever": "--retriever"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as for every other user error
        raise UserError(f"{message} (see python cli.py {self.prog.split()[-1]} --help)")


def checked(convert, problem, show_value: bool = True):
    """An argparse type: the value `convert` makes of the flag's text, refused in one line (argparse names the
    flag) when `problem` finds one. A URL is not shown: it may hold a password."""
    def check(raw: str):
        value = convert(raw)
        if why := problem(value):
            raise argparse.ArgumentTypeError(f"{value!r} {why}" if show_value else f"the URL {why}")
        return value
    check.__name__ = convert.__name__  # argparse's "invalid int value: 'x'"
    return check


def retriever_list(raw: str) -> list[str]:
    names = raw.split(",")
    for name in names:
        if why := choice_problem(name, RETRIEVERS):
            raise argparse.ArgumentTypeError(f"{name!r} {why}")
    return names


def app_url_problem(url: str) -> str:
    return url_problem(url, example="http://127.0.0.1:7860")


def ray_address_problem(address: str) -> str | None:
    """`--ray ADDRESS`: what ray.init takes for a cluster (or "local", a Ray started here)."""
    if re.fullmatch(r"local|auto|(ray://)?[\w.-]+:\d{1,5}", address):
        return None
    return "must be local, auto, HOST:PORT or ray://HOST:PORT"


count = checked(int, count_problem)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cli.py", description="Ask questions about a collection of articles, with cited answers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ingest = commands.add_parser("ingest", help="add articles (files, folders, URLs) to the index")
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")
    ingest.add_argument("--prune", action="store_true", help="remove indexed articles whose files are gone")
    ingest.add_argument("--rebuild", action="store_true", help="start a new index (after changing model or chunking)")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")
    ingest.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        type=checked(str, ray_address_problem),
                        help="embed on Ray Data: a local Ray, or the cluster at ADDRESS (needs requirements-scale.txt)")

    ask = commands.add_parser("ask", help="answer a question from the indexed articles")
    ask.add_argument("question")
    ask.add_argument("--k", type=count, help="passages to retrieve (default 5)")
    ask.add_argument("--retriever", choices=RETRIEVERS)
    ask.add_argument("--article", action="append", metavar="DOC_ID", help="only search these articles")
    ask.add_argument("--mode", choices=ANSWER_MODES, help="answer mode (default offline)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")

    evaluate = commands.add_parser("eval", help="score retrieval and answers on a labelled dataset")
    evaluate.add_argument("dataset", metavar="DATASET", help="Q&A .jsonl file, BEIR folder or SQuAD .json file")
    evaluate.add_argument("--retriever", dest="retrievers", type=retriever_list,
                          help=f"one or more of {','.join(RETRIEVERS)}, comma-separated")
    evaluate.add_argument("--k", type=count, help="passages per answer (default 5)")
    evaluate.add_argument("--limit", type=count, help="only the first N questions")
    evaluate.add_argument("--every", type=count, metavar="N", help="only every Nth question (a fixed sample)")
    evaluate.add_argument("--out", metavar="DIR", type=checked(str, folder_problem),
                          help="write report.json and report.md here")
    evaluate.add_argument("--app", metavar="URL", type=checked(str, app_url_problem, show_value=False),
                          help="ask a running app's API instead of the local index")
    evaluate.add_argument("--mode", choices=ANSWER_MODES, help="answer mode (default offline)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")

    move = commands.add_parser("move-index", help="copy the FAISS index (--index) into the Milvus store the "
                               "RAGQA_MILVUS_* settings name, vectors as stored, nothing re-embedded")
    move.add_argument("--to", choices=["milvus"], required=True, help="the store to move it to")
    move.add_argument("--replace", action="store_true", help="drop an index already in that Milvus collection")

    for sub in (ask, evaluate):
        sub.add_argument("--author", metavar="NAME", help="only articles whose author's name contains NAME")
        sub.add_argument("--since", metavar="DATE",
                         help="only articles dated on or after DATE (2025-03-31, 2025-03 or 2025)")
        sub.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE")
    evaluate.add_argument("--index", metavar="DIR", help="index folder (default data/index for a Q&A file; for a "
                          "BEIR or SQuAD corpus, a cache folder under the temp dir, filled on first use)")
    for sub in (ingest, ask, move):
        sub.add_argument("--index", metavar="DIR", help="index folder (default data/index)")
    for sub in (ingest, ask, evaluate):
        sub.add_argument("--model", help="sentence-transformers model path or name (default: the packaged MiniLM)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        settings = Settings.from_env(SETTING_FLAGS, **{name: getattr(args, flag[2:], None)
                                                       for name, flag in SETTING_FLAGS.items()})
        return COMMANDS[args.command](args, settings)
    except UserError as exc:
        show(f"error: {one_line(str(exc))}", sys.stderr)
        return 2
    except KeyboardInterrupt:
        show("interrupted", sys.stderr)
        return 130


def show(text: str, stream=None) -> None:
    """Print article-derived text as text: an escape sequence in an article must not retitle or clear the terminal."""
    print(terminal_safe(text), file=stream or sys.stdout)


def show_json(payload) -> None:
    """One JSON line; the control characters json.dumps leaves raw (DEL, C1, lone surrogates) escaped as \\uXXXX."""
    text = json.dumps(payload, ensure_ascii=False)
    print(re.sub(r"[\x7f-\x9f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text))


def run_ingest(args, settings: Settings) -> int:
    from qa.collection import Collection

    report = Collection(settings).add(args.sources, prune=args.prune, rebuild=args.rebuild, progress=True,
                                      ray=args.ray)
    for failure in report.failed:
        show(f"failed: {failure}", sys.stderr)
    for skipped in report.skipped:
        show(f"skipped: {one_line(skipped)}", sys.stderr)
    if args.json:
        show_json(report.as_dict())
    else:
        show(report.summary())
    return 1 if report.failed or report.skipped else 0


def run_ask(args, settings: Settings) -> int:
    from qa.answer import answer_to_dict
    from qa.pipeline import QAPipeline

    articles = article_filter(args, args.article)
    pipeline = QAPipeline(settings)
    answer = pipeline.ask(args.question, k=args.k, retriever=args.retriever,
                          doc_ids=articles.ids(pipeline.collection.documents()), mode=args.mode)
    if args.json:
        show_json(answer_to_dict(answer))
        return 0
    show(answer.text)
    for c in answer.citations:
        show(f"[{c.n}] {c.title} ({one_line(c.source)}), characters {c.start}-{c.end}")
    return 0


def run_eval(args, settings: Settings) -> int:
    from pathlib import Path

    from evaluation.report import metrics_table, write_reports
    from evaluation.run import run as evaluate

    retrievers = args.retrievers or [settings.retriever]
    report = evaluate(args.dataset, settings, retrievers=retrievers, k=args.k, limit=args.limit,
                      index=args.index, app=args.app, every=args.every, articles=article_filter(args))
    if args.out:
        write_reports(report, Path(args.out))
    if args.json:
        show_json(report.summary())
    else:
        show(metrics_table(report))
    return 0


def run_move_index(args, settings: Settings) -> int:
    from ingest.fetch import public_url
    from qa.move import move_index

    report = move_index(settings, replace=args.replace, progress=lambda line: show(line, sys.stderr))
    where = settings.milvus_uri if "://" not in settings.milvus_uri else public_url(settings.milvus_uri)
    show(report.summary(f"Milvus at {where}, collection {settings.milvus_collection}"))
    return 0


def article_filter(args, doc_ids=None):
    """The articles `ask` or `eval` searches: --article, --author, --since, --until (a bad date is one line)."""
    from qa.filters import ArticleFilter

    return ArticleFilter.checked(doc_ids, args.author, args.since, args.until,
                                 fields=("--author", "--since", "--until"))


COMMANDS = {"ingest": run_ingest, "ask": run_ask, "eval": run_eval, "move-index": run_move_index}

if __name__ == "__main__":
    sys.exit(main())
