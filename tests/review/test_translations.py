"""The staff UI's Finnish and Swedish catalogs are complete and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "registry_admin" / "translations"


def _ui_strings() -> set[str]:
    method_map = [("registry_admin/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        keywords={"_": None, "_l": None, "lazy_gettext": None, "gettext": None, "ngettext": (1, 2)},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _entries(messages) -> dict[str, object]:
    """msgid -> translation, plural forms as a tuple, whichever reader made them."""
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else tuple(m.string)
        )
        for m in messages
        if m.id
    }


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_ui_string_is_translated_and_compiled(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    translated = _entries(catalog)
    untranslated = [
        msgid
        for msgid, text in translated.items()
        if not text or (isinstance(text, tuple) and not all(text))
    ]
    assert untranslated == []
    missing = _ui_strings() - set(translated)
    assert missing == set(), "run `make translations` and translate the new strings"
    with (folder / "messages.mo").open("rb") as mo_file:
        compiled = _entries(read_mo(mo_file))
    assert compiled == translated, "messages.mo is older than messages.po: run `make translations`"


def _audited_actions() -> set[str]:
    """Every action name the code hands to the audit trail (record_audit and the wrappers that
    pass an action through to it)."""
    import ast

    actions = set()
    for path in (ROOT / "registry_admin").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in {"record_audit", "_audited", "_freeze_evidence"}:
                continue
            for arg in node.args:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and "." in arg.value
                ):
                    actions.add(arg.value)
            for test in (n for n in ast.walk(node) if isinstance(n, ast.IfExp)):
                for branch in (test.body, test.orelse):
                    if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                        actions.add(branch.value)
    return actions


def test_every_audited_action_has_a_label(app):
    from registry_admin.review.i18n import action_label

    actions = _audited_actions()
    assert {"request.approve", "reason.create", "reason.update", "webhook.skip"} <= actions
    with app.test_request_context():
        unlabelled = sorted(a for a in actions if action_label(a) == a)
    assert unlabelled == []
