"""User text is shown as text: the markdown escaper, and a guard on every raw-HTML door in the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ui.safe import WORD_JOINER, md, plot_text, visible

ROOT = Path(__file__).resolve().parents[1]

# Every place that renders raw HTML, with why it is safe. A new one fails this test until it is reviewed.
RAW_HTML_ALLOWED = {
    ("app/ui/state.py", "st.html"): 1,             # the app's own stylesheet
    ("app/pages/login.py", "st.html"): 1,          # the static sign-in form
    ("streamlit_app.py", "st.html"): 1,            # the static sign-out form
    ("app/pages/history.py", "unsafe_allow_html"): 1,       # score figure and md()-escaped grade
}


def test_raw_html_is_used_only_where_reviewed():
    found: dict[tuple[str, str], int] = {}
    for path in [ROOT / "streamlit_app.py", *sorted((ROOT / "app").rglob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        for door, pattern in (("st.html", r"\bst\.html\("), ("unsafe_allow_html", r"unsafe_allow_html\s*=\s*True")):
            n = len(re.findall(pattern, text))
            if n:
                found[(rel, door)] = n
    assert found == RAW_HTML_ALLOWED


@pytest.mark.parametrize(("raw", "escaped"), [
    ("**b**", r"\*\*b\*\*"),
    ("![x](http://h/x.png)", "\\!\\[x\\]\\(http\\:" + WORD_JOINER + "//h/x\\.png\\)"),
    ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
    (":material/home:", "\\:" + WORD_JOINER + "material/home\\:" + WORD_JOINER),
    ("$x^2$", r"\$x\^2\$"),
    ("a\nb", "a  \nb"),
])
def test_md_escapes_markup(raw, escaped):
    assert md(raw) == escaped


@given(st.text())
def test_md_keeps_every_character_of_the_text(text):
    # the rendered text is the input: removing the escapes and joiners gives it back (CR dropped, NL kept)
    shown = re.sub(r"\\(.)", r"\1", visible(md(text)), flags=re.S).replace("  \n", "\n")
    assert shown == text.replace("\r", "")


def test_plot_text_escapes_plotly_markup():
    assert plot_text('<a href="javascript:x">n</a> & <b>') == '&lt;a href="javascript:x"&gt;n&lt;/a&gt; &amp; &lt;b&gt;'
