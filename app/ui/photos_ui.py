"""Photo widgets: read-only thumbnails, full-size view, review gallery (the item screen adds and removes photos)."""

from __future__ import annotations

import streamlit as st

from app.services import inspections as svc
from app.services import photos as photo_svc
from app.services.actor import Actor
from app.ui.i18n import t
from app.ui.safe import md
from app.ui.state import read, require_actor


@st.cache_data(max_entries=512, show_spinner=False)
def _bytes(photo_id: int, size: str, actor_key: tuple[int, str, tuple[int, ...]], _actor: Actor) -> bytes:
    with read() as s:
        return photo_svc.photo_bytes(s, actor=_actor, photo_id=photo_id, size=size)


def photo(photo_id: int, size: str = "thumb") -> bytes:
    """A photo's bytes for the signed-in actor (the cache is per actor, role and sites as they are now)."""
    actor = require_actor()
    return _bytes(photo_id, size, (actor.id, actor.role, tuple(sorted(actor.site_ids))), actor)


def _full_size(photo_id: int, caption: str | None) -> None:
    # st.image renders its caption as markdown (a markdown image in it would be fetched): md() only
    st.image(photo(photo_id, "display"), caption=md(caption) if caption else None, width="stretch",
             alt=caption or t("photos"))  # alt is an attribute: the caption as it is


def _full(photo_id: int, caption: str | None) -> None:
    st.dialog(t("photos"), width="large")(_full_size)(photo_id, caption)  # titled in the chosen language


def thumbs(refs: list[svc.PhotoRef], *, iid: int, item_id: str) -> None:
    """Read-only thumbnails, each with a full-size view (photos are added and removed on the item screen)."""
    if not refs:
        return
    cols = st.columns(4)
    for n, ref in enumerate(refs):
        with cols[n % 4]:
            st.image(photo(ref.photo_id), caption=md(ref.caption) if ref.caption else None, width=150,
                     alt=ref.caption or t("photos"))
            if st.button("⤢", key=f"pv_{iid}_{item_id}_{ref.link_id}", help=t("photo_full_size")):
                _full(ref.photo_id, ref.caption)


def gallery(view: svc.DraftView) -> None:
    """All photos of an inspection, grouped by item (review screen, detail, monthly review)."""
    if not any(view.photos.values()):
        return
    st.markdown(f"**{t('photos')}**")
    for item in view.checklist.items:
        refs = view.photos.get(item.id)
        if refs:
            st.caption(md(item.text))
            thumbs(refs, iid=view.header.id, item_id=item.id)
