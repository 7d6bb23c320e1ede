"""Baseline for benchmarks/checklist_tap.py: the same checklist as ONE plain Streamlit script.

Every item is drawn on every run (no fragments) and a tap reruns the whole script; the answer is
saved through the same service call as the app, so only the rendering strategy differs.
"""

import streamlit as st

from app.services import inspections as svc
from app.ui.state import current_actor, read, write

actor = current_actor()
iid = int(st.query_params["insp"])
with read() as s:
    view = svc.load_inspection(s, actor=actor, inspection_id=iid)


def on_change(item_id: str) -> None:
    value = st.session_state[f"a_{item_id}"]
    with write() as s:
        svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item_id,
                        value=None if value is None else {"result": value})
    st.session_state[f"seq_{item_id}"] = st.session_state.get(f"seq_{item_id}", 0) + 1


st.title(view.header.checklist_title)
for n, item in enumerate(view.checklist.items, start=1):
    with st.container(border=True, key=f"item_{item.id.replace('.', '__')}"):
        st.markdown(f"**{n}.** {item.text}")
        st.segmented_control("r", ["pass", "fail"], key=f"a_{item.id}", on_change=on_change, args=(item.id,),
                             label_visibility="collapsed")
        seq = st.session_state.get(f"seq_{item.id}")
        if seq:
            st.markdown(f"<span class='pz-saved' data-item='{item.id}' data-seq='{seq}'>✓ saved</span>",
                        unsafe_allow_html=True)
