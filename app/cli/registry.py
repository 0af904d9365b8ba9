"""The one way a feature adds ``xueji`` verbs: each feature's CLI module has ``register(reg)`` and uses
the :class:`Registry` it is given.

    p = reg.verb("demo", cmd_demo)                   # a top-level verb; handler key "demo"
    p = reg.action("class", "add", help, cmd)        # ``xueji class add``; handler key "class_add"
    acts = reg.actions("backup", required=False)     # a verb's ACTION subparsers; plain ``xueji backup`` works too
    p = reg.add(subparsers, name, help)              # any deeper level (``xueji archive review STEP``)
    reg.Parser                                       # the parser class, for ``add_subparsers(parser_class=…)``

A top-level verb's help text and its place in ``xueji --help`` come from the table of contents the
registry is built with (app/cli/__init__.py ``VERBS``); each verb is claimed by exactly one feature. A
feature may add actions to another's verb (``student state`` is the changes feature's). Handlers are
``function(args, out) -> exit code`` under the key "verb" or "verb_action" — the keys of
resources/security/commands.toml.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

from app.core.errors import UsageError
from app.core.i18n import Names, tr

Handler = Callable[..., int]

# argparse's own messages (it looks them up through gettext at call time), in the registrar's language
_ARGPARSE_TEXTS = Names({
    "usage: ": "xcli.ap.usage",
    "the following arguments are required: %s": "xcli.ap.required",
    "unrecognized arguments: %s": "xcli.ap.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "xcli.ap.choice",
    "argument %(argument_name)s: %(message)s": "xcli.ap.argument",
    "expected one argument": "xcli.ap.one_argument",
    "invalid %(type)s value: %(value)r": "xcli.ap.bad_value",
    "show this help message and exit": "xcli.ap.help",
    "positional arguments": "xcli.ap.positional",
    "options": "xcli.ap.options",
    "ambiguous option: %(option)s could match %(matches)s": "xcli.ap.ambiguous",
})


def _argparse_text(msgid: str) -> str:
    return _ARGPARSE_TEXTS[msgid] if msgid in _ARGPARSE_TEXTS else msgid


argparse._ = _argparse_text


class Parser(argparse.ArgumentParser):
    """A usage error raises :class:`UsageError` (exit 2 and the contract's error object) instead of exiting."""

    def error(self, message):
        raise UsageError(message)


def common_options(p: argparse.ArgumentParser, top: bool) -> None:
    """``--archive``, ``--json`` and ``--user``: accepted before the verb and after it."""
    d = None if top else argparse.SUPPRESS
    p.add_argument("--archive", metavar="DIR", default=d,
                   help=tr("xcli.help.archive"))
    p.add_argument("--json", action="store_true", default=False if top else argparse.SUPPRESS,
                   help=tr("xcli.help.json"))
    p.add_argument("--user", metavar="USER", default=d, help=tr("xcli.help.user"))


class Registry:
    """The ``xueji`` parser being built, the handlers by key, and the verbs that need an ACTION."""

    Parser = Parser

    def __init__(self, parser: argparse.ArgumentParser, verbs: Mapping[str, str]):
        self.parser = parser
        self.handlers: dict[str, Handler] = {}
        self.nested: set[str] = set()  # verbs that print their help when given no ACTION
        sub = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=Parser)
        self._verbs = {name: self.add(sub, name, verbs[name]) for name in verbs}
        self._claimed: set[str] = set()
        self._actions: dict = {}  # verb -> its ACTION subparsers

    def add(self, parent, name: str, help_: str) -> argparse.ArgumentParser:
        """A parser ``name`` under the subparsers ``parent``, with the common options."""
        sp = parent.add_parser(name, help=help_, description=help_)
        common_options(sp, False)
        return sp

    def verb(self, name: str, handler: Handler | None = None) -> argparse.ArgumentParser:
        """Claim the top-level verb ``name`` (listed in the table of contents) and return its parser."""
        if name not in self._verbs:
            raise ValueError(f"verb {name!r} is not in the CLI's table of contents (app/cli/__init__.py VERBS)")
        if name in self._claimed:
            raise ValueError(f"verb {name!r} is registered twice")
        self._claimed.add(name)
        if handler is not None:
            self.handle(name, handler)
        return self._verbs[name]

    def actions(self, verb: str, required: bool = True):
        """The ACTION subparsers of ``verb`` (made on the first call). ``required``: the verb alone only
        prints its help (exit 2)."""
        if verb not in self._actions:
            self._actions[verb] = self._verbs[verb].add_subparsers(dest="action", metavar="ACTION",
                                                                   parser_class=Parser)
        if required:
            self.nested.add(verb)
        return self._actions[verb]

    def action(self, verb: str, name: str, help_: str, handler: Handler | None = None) -> argparse.ArgumentParser:
        """``xueji VERB NAME``: its parser; ``handler`` runs it under the key "VERB_NAME"."""
        sp = self.add(self._actions.get(verb) or self.actions(verb), name, help_)
        if handler is not None:
            self.handle(f"{verb}_{name}", handler)
        return sp

    def handle(self, key: str, handler: Handler) -> None:
        if key in self.handlers:
            raise ValueError(f"command {key!r} has two handlers")
        self.handlers[key] = handler

    def check(self) -> None:
        """Every verb of the table of contents was claimed by a feature."""
        missing = set(self._verbs) - self._claimed
        if missing:
            raise ValueError(f"verbs no feature registered: {sorted(missing)}")

    # ---------------------------------------------------------------- running
    def needs_action(self, args) -> bool:
        return not args.verb or (args.verb in self.nested and not getattr(args, "action", None))

    def dispatch(self, args, out) -> int:
        """Run the handler of the parsed command (its key is left on ``args._command_key`` for signing in)."""
        action = getattr(args, "action", None)
        key = f"{args.verb}_{action}" if action else args.verb
        args._command_key = key
        return self.handlers[key](args, out)
