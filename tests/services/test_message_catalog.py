"""The refusal catalog (`backend/models/messages.py`) and the raise sites stay in step.

Read from the source (AST), so a message that is only raised on a rare path is checked too:
every `msg("template")` is listed, every listed template is raised somewhere, no refusal is
raised with a bare string (it would reach the console untranslatable), and every template is
translated, placeholders intact, in each language.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend.models.errors import ServiceError, msg
from backend.models.messages import CATALOG
from newapi_ui.i18n import LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
CATALOG_FILE = ROOT / "backend" / "models" / "messages.py"
# ServiceError and the subclasses whose first argument is the message.
REFUSALS = {"ServiceError", "NotFound", "Forbidden", "Unauthorized", "FetchFailed", "BlockedURL",
            "VerificationRequired"}


def _trees() -> list[tuple[Path, ast.Module]]:
    files = [p for top in ("backend", "newapi_ui") for p in sorted((ROOT / top).rglob("*.py"))]
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in files if p != CATALOG_FILE]


@pytest.fixture(scope="module")
def raised() -> dict[str, str]:
    """Each template passed to msg() in the code, with one place it appears."""
    found: dict[str, str] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg":
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{path}:{node.lineno}: msg() takes a literal template (values go in its parameters)"
                found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_raised_message_is_in_the_catalog(raised: dict[str, str]) -> None:
    missing = {text: where for text, where in raised.items() if text not in CATALOG}
    assert missing == {}, "add these to backend/models/messages.py"


def test_every_catalog_entry_is_raised_somewhere(raised: dict[str, str]) -> None:
    assert sorted(CATALOG - set(raised)) == [], "entries nobody raises: remove them from the catalog"


def _refusal_classes(trees: list[tuple[Path, ast.Module]]) -> set[str]:
    """ServiceError and every class deriving from it (by name, through the whole code base)."""
    bases = {node.name: {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
             for _path, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = set(REFUSALS)
    while grown := {name for name, parents in bases.items() if parents & found} - found:
        found |= grown
    return found


def _is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "super")


def test_no_refusal_is_raised_with_a_bare_string() -> None:
    """Neither at a raise site nor in a refusal class's own `super().__init__("...")`."""
    trees = _trees()
    refusals = _refusal_classes(trees)
    bare = []
    for path, tree in trees:
        classes = [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.name in refusals]
        inits = {id(n) for c in classes for n in ast.walk(c) if isinstance(n, ast.Call) and _is_super_init(n)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if (name in refusals or id(node) in inits) \
                    and isinstance(node.args[0], ast.Constant | ast.JoinedStr | ast.BinOp):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == [], "wrap the message in msg(...) and list it in the catalog"


def _fields(template: str) -> set[str]:
    return {f for _text, f, _spec, _conv in string.Formatter().parse(template) if f is not None}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalog_entry_is_translated_with_its_placeholders(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = {m.id: m for m in read_po(fh, locale=lang) if m.id}
    untranslated = sorted(t for t in CATALOG if t not in po or not po[t].string or "fuzzy" in po[t].flags)
    assert untranslated == [], f"{lang}: translate these in messages.po"
    broken = sorted(t for t in CATALOG if _fields(t) and _fields(t) != _fields(po[t].string))
    assert broken == [], f"{lang}: a translation must keep each {{name}} of its msgid"


def test_the_api_text_is_english_and_the_console_text_is_translated_after_formatting() -> None:
    exc = ServiceError(msg("you already have the maximum of {cap} tokens", cap=5))
    assert exc.message == "you already have the maximum of 5 tokens"  # the API's `message`
    french = {"you already have the maximum of {cap} tokens": "vous avez déjà le maximum de {cap} clés"}
    assert exc.translated(lambda t: french.get(t, t)) == "vous avez déjà le maximum de 5 clés"
    # a translation whose placeholders do not fit falls back to English instead of failing
    assert exc.translated(lambda t: "{oops}") == "you already have the maximum of 5 tokens"
    # a nested message (a reason inside a refusal) is translated too
    outer = ServiceError(msg("URL not allowed: {reason}", reason=msg("port {port} is not allowed", port=22)))
    french |= {"URL not allowed: {reason}": "URL refusée : {reason}", "port {port} is not allowed": "port {port} interdit"}
    assert outer.translated(lambda t: french.get(t, t)) == "URL refusée : port 22 interdit"
