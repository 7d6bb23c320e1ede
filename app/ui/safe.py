"""User text into Streamlit's markdown and Plotly's labels, shown as text and never as markup.

Streamlit renders markdown in st.markdown, st.caption, alerts, titles, widget labels and options, tab and
expander labels, metric labels and **image captions** (a markdown image in a caption is fetched). Every
name, note, caption, reason or imported value that goes into one of them passes through :func:`md`;
into a Plotly label through :func:`plot_text`. Markup-free places (st.text, st.dataframe, st.code,
selectbox options) need neither.
"""

from __future__ import annotations

import html
import re

# every ASCII punctuation character markdown (CommonMark, GFM, Streamlit's directives, math) gives a meaning
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&\"'=^%])")
WORD_JOINER = "\u2060"  # invisible: breaks :material/icon:, :emoji: and :color[...] tokens and autolinks


def md(value: object) -> str:
    """``value`` as markdown that renders as exactly its own text (plus invisible word joiners)."""
    text = _MD_SPECIAL.sub(r"\\\1", str(value))
    text = text.replace(":", "\\:" + WORD_JOINER).replace("@", "@" + WORD_JOINER)
    text = re.sub(r"(?i)(www)\\\.", r"\1" + WORD_JOINER + r"\\.", text)
    return text.replace("\r", "").replace("\n", "  \n")  # a newline in a note stays a line break


def plot_text(value: object) -> str:
    """``value`` for a Plotly label, hover text or title (Plotly reads <b>, <a href>, <br> as markup)."""
    return html.escape(str(value), quote=False)


def visible(text: str) -> str:
    """What a reader sees of :func:`md`'s output once rendered (for tests): the joiners removed."""
    return text.replace(WORD_JOINER, "")
