"""Command line: ingest, ask, eval. Each command parses, calls the core, and formats; nothing else."""
from __future__ import annotations

import argparse
import json
import sys

from schema import UserError
from settings import Settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as for every other user error
        raise UserError(f"{message} (see python cli.py {self.prog.split()[-1]} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cli.py", description="Ask questions about a collection of articles, with cited answers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ingest = commands.add_parser("ingest", help="add articles (files, folders, URLs) to the index")
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")
    ingest.add_argument("--prune", action="store_true", help="remove indexed articles whose files are gone")
    ingest.add_argument("--rebuild", action="store_true", help="start a new index (after changing model or chunking)")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")

    ask = commands.add_parser("ask", help="answer a question from the indexed articles")
    ask.add_argument("question")
    ask.add_argument("--k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--retriever", choices=["dense", "bm25", "hybrid", "rrf"])
    ask.add_argument("--article", action="append", metavar="DOC_ID", help="only search these articles")
    ask.add_argument("--mode", choices=["offline", "llm"], help="answer mode (default offline)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")

    evaluate = commands.add_parser("eval", help="score retrieval and answers on a labelled dataset")
    evaluate.add_argument("dataset", metavar="DATASET", help="Q&A .jsonl file, BEIR folder or SQuAD .json file")
    evaluate.add_argument("--retriever", help="one or more of dense,bm25,hybrid,rrf,mmr, comma-separated")
    evaluate.add_argument("--k", type=int, help="passages per answer (default 5)")
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.add_argument("--every", type=int, metavar="N", help="only every Nth question (a fixed sample)")
    evaluate.add_argument("--out", metavar="DIR", help="write report.json and report.md here")
    evaluate.add_argument("--app", metavar="URL", help="ask a running app's API instead of the local index")
    evaluate.add_argument("--mode", choices=["offline", "llm"], help="answer mode (default offline)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")

    evaluate.add_argument("--index", metavar="DIR", help="index folder (default data/index for a Q&A file; for a "
                          "BEIR or SQuAD corpus, a cache folder under the temp dir, filled on first use)")
    for sub in (ingest, ask):
        sub.add_argument("--index", metavar="DIR", help="index folder (default data/index)")
    for sub in (ingest, ask, evaluate):
        sub.add_argument("--model", help="sentence-transformers model path or name (default: the packaged MiniLM)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        settings = Settings.from_env(index_dir=args.index, embed_model=args.model,
                                     answer_mode=getattr(args, "mode", None))
        return COMMANDS[args.command](args, settings)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_ingest(args, settings: Settings) -> int:
    from index.build import update_index
    from index.embedders import make_embedder

    report = update_index(args.sources, settings, make_embedder(settings.embed_model, settings.embed_precision),
                          prune=args.prune, rebuild=args.rebuild)
    for failure in report.failed:
        print(f"failed: {failure}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    print(json.dumps(report.as_dict()) if args.json else report.summary())
    return 1 if report.failed or report.skipped else 0


def run_ask(args, settings: Settings) -> int:
    from qa.answer import answer_to_dict
    from qa.pipeline import QAPipeline

    answer = QAPipeline(settings).ask(args.question, k=args.k, retriever=args.retriever,
                                      doc_ids=set(args.article) if args.article else None, mode=args.mode)
    if args.json:
        print(json.dumps(answer_to_dict(answer), ensure_ascii=False))
        return 0
    print(answer.text)
    for c in answer.citations:
        print(f"[{c.n}] {c.title} ({c.source}), characters {c.start}-{c.end}")
    return 0


def run_eval(args, settings: Settings) -> int:
    from pathlib import Path

    from qa import evaluate

    retrievers = (args.retriever or settings.retriever).split(",")
    report = evaluate.run(args.dataset, settings, retrievers=retrievers, k=args.k, limit=args.limit,
                          index=args.index, app=args.app, every=args.every)
    if args.out:
        evaluate.write_reports(report, Path(args.out))
    print(json.dumps(report.summary()) if args.json else evaluate.metrics_table(report))
    return 0


COMMANDS = {"ingest": run_ingest, "ask": run_ask, "eval": run_eval}

if __name__ == "__main__":
    sys.exit(main())
