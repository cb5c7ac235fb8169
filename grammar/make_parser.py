"""Generate bpcalc/lark_standalone.py from grammar/bpcalc.lark with Lark's standalone tool.

    python grammar/make_parser.py           # rewrite bpcalc/lark_standalone.py
    python grammar/make_parser.py --check   # exit 1 if the committed file is stale

bpcalc parses with the LALR parser Lark generates from the grammar: the grammar
stays the one source of truth, and at run time there is no grammar to load, no
cache and no `lark` import. This script runs `lark.tools.standalone` (the same
options as `python -m lark.tools.standalone --lexer basic --maybe_placeholders
grammar/bpcalc.lark`) and changes two things in what it writes:

- the parse table's states and symbols are numbered in a canonical order (a
  breadth-first walk from the start state, symbols by name), because Lark
  numbers them in an order that differs from run to run; the table itself is
  unchanged, so the file is the same every time and a stale one can be found
  by regenerating and comparing;
- the tool's `import pickle, zlib, base64` line, needed only for its
  compressed output, is left out: bpcalc loads no pickle.

It also writes bpcalc/lark_tables.py: what bpcalc's parse loop reads from that
parser, as Python literals, so that a program parses without executing Lark's
runtime at all (start-up): the lexer's one pattern over the grammar's
terminals, Lark's parse table as integers, and each rule's reduction (which of
its children Lark's child filter keeps, and the builder method it calls). They
are read from Lark's parser built from the generated module with bpcalc's own
plugins (bpcalc.parse.lark_parser), not worked out a second time.

Needs lark (`pip install lark`), which is a build and test dependency only.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "bpcalc.lark"
TARGET = ROOT / "bpcalc" / "lark_standalone.py"
TABLES = ROOT / "bpcalc" / "lark_tables.py"

HEADER = '''\
# GENERATED FILE: do not edit. Regenerate with `python grammar/make_parser.py`
# (tests/test_parse.py fails when this file is stale).
#
# bpcalc's LALR(1) parser for grammar/bpcalc.lark, written by Lark's standalone
# generator (lark.tools.standalone, Lark {version}): Lark's own runtime code
# followed by the grammar's terminals, rules and parse table (DATA, MEMO).
# The generated code carries the license below (MPL 2.0, per file).
'''


def _canonical_table(table: dict) -> dict:
    """The serialized LALR table with symbols numbered by name and states in breadth-first order."""
    old_names = table["tokens"]  # symbol index -> name (terminals and rules)
    names = sorted(set(old_names.values()))
    new_symbol = {old: names.index(name) for old, name in old_names.items()}
    states = table["states"]
    starts = sorted(table["start_states"].items())
    order: list[int] = []
    seen: set[int] = set()
    queue = [state for _, state in starts]
    while queue:  # breadth-first over the shift/goto edges, symbols in name order
        state = queue.pop(0)
        if state in seen:
            continue
        seen.add(state)
        order.append(state)
        for symbol in sorted(states[state], key=lambda s: old_names[s]):
            action, arg = states[state][symbol]
            if action == 0:  # shift (or goto): arg is a state
                queue.append(arg)
    order += sorted(set(states) - seen)  # none in an LALR table, but keep every state
    new_state = {old: new for new, old in enumerate(order)}

    def action(entry):
        kind, arg = entry
        return (kind, new_state[arg]) if kind == 0 else (kind, arg)

    return {
        "tokens": dict(enumerate(names)),
        "states": {
            new_state[old]: {new_symbol[s]: action(states[old][s]) for s in sorted(states[old], key=new_symbol.get)}
            for old in order
        },
        "start_states": {name: new_state[s] for name, s in starts},
        "end_states": {name: new_state[s] for name, s in sorted(table["end_states"].items())},
    }


def generate() -> str:
    """The text of bpcalc/lark_standalone.py for the grammar and the installed Lark."""
    import lark
    from lark.tools.standalone import gen_standalone

    parser = lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic", maybe_placeholders=True)
    out = io.StringIO()

    def output(*args):
        if args == ("import pickle, zlib, base64",):
            return
        if len(args) == 1 and isinstance(args[0], dict) and "parser" in args[0]:
            data = dict(args[0])
            data["parser"] = dict(data["parser"])
            data["parser"]["parser"] = _canonical_table(data["parser"]["parser"])
            args = (data,)
        print(*args, file=out)

    gen_standalone(parser, output=output)
    return HEADER.format(version=lark.__version__) + out.getvalue()


TABLES_HEADER = '''\
# GENERATED FILE: do not edit. Regenerate with `python grammar/make_parser.py`
# (tests/test_parse.py fails when this file is stale).
#
# What bpcalc's parse loop (bpcalc/parse.py, _drive) reads from the LALR parser of
# bpcalc/lark_standalone.py, as literals: no Lark runtime to execute at start-up.
# PATTERN, FLAGS, IGNORE: the lexer's one pattern over the grammar's terminals.
# TERMINALS, NONTERMINALS: the symbols by number; ACTIONS and GOTOS: the parse
# table by number (bpcalc.parse.lalr_tables says how it is laid out).
# REDUCTIONS: rule index -> (size, rule name, what the reduction does; None: a goto).
# START, END: the start state and the state after the start rule.
'''


def generate_tables(standalone: str) -> str:
    """The text of bpcalc/lark_tables.py, from the text of bpcalc/lark_standalone.py."""
    import types

    sys.path.insert(0, str(ROOT))
    from bpcalc.parse import lark_parser

    module = sys.modules["lark_standalone_fresh"] = types.ModuleType("lark_standalone_fresh")
    exec(compile(standalone, str(TARGET), "exec"), module.__dict__)  # the generated parser, as written above
    parser = lark_parser(module)
    lalr, lexer = parser.parser.parser, parser.parser.lexer
    table = lalr._parse_table
    lines = [
        TABLES_HEADER,
        f"PATTERN = {lexer.pattern.pattern!r}",
        f"FLAGS = {lexer.pattern.flags & ~32!r}",  # without re.UNICODE, which re.compile adds to str patterns
        f"IGNORE = {lexer.ignore!r}",
        f"START = {table.start_states['start']!r}",
        f"END = {table.end_states['start']!r}",
        f"TERMINALS = {lalr.tables['TERMINALS']!r}",
        f"NONTERMINALS = {lalr.tables['NONTERMINALS']!r}",
        "ACTIONS = (",
        *(f"    {row!r},  # {state}" for state, row in enumerate(lalr.tables["ACTIONS"])),
        ")",
        "GOTOS: tuple[dict[int, int], ...] = (",
        *(f"    {row!r},  # {state}" for state, row in enumerate(lalr.tables["GOTOS"])),
        ")",
        "REDUCTIONS = [",
        *(f"    {reduction!r}," for reduction in lalr.reductions),
        "]",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--check", action="store_true", help="exit 1 if bpcalc/lark_standalone.py is stale")
    args = cli.parse_args()
    text = generate()
    texts = {TARGET: text, TABLES: generate_tables(text)}
    if args.check:
        current = {path: path.read_text(encoding="utf-8") if path.exists() else "" for path in texts}
        stale = [path for path, fresh in texts.items() if current[path] != fresh]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python grammar/make_parser.py", file=sys.stderr)
        return 1 if stale else 0
    for path, fresh in texts.items():
        path.write_text(fresh, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(fresh):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
