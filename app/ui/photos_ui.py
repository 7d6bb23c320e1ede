"""Photo widgets: thumbnails on an item, camera or gallery upload, full-size view, review gallery."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.services import inspections as svc
from app.services import photos as photo_svc
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui.i18n import t, tr
from app.ui.safe import md
from app.ui.state import current_actor, read, require_actor, write
from scoring.model import Item


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
    st.image(photo(photo_id, "display"), caption=md(caption) if caption else None, width="stretch")


def _full(photo_id: int, caption: str | None) -> None:
    st.dialog(t("photos"), width="large")(_full_size)(photo_id, caption)  # titled in the chosen language


def _on_upload(iid: int, item_id: str, _actor: Actor, key: str) -> None:
    actor = current_actor()  # callbacks run before the page: check the session in the database first
    if actor is None:
        return
    upload: Any = st.session_state.get(key)
    if upload is None:
        return
    caption = st.session_state.get(f"pc_{iid}_{item_id}", "")
    try:
        with write() as s:
            ref = photo_svc.attach_photo(session=s, actor=actor, inspection_id=iid, item_id=item_id,
                                         data=upload.getvalue(), caption=caption, filename=upload.name)
    except ServiceError as exc:
        st.session_state[f"perr_{iid}_{item_id}"] = tr(exc)
    else:
        view: svc.DraftView = st.session_state[f"view_{iid}"]
        view.photos.setdefault(item_id, []).append(ref)
        st.session_state.pop(f"perr_{iid}_{item_id}", None)
        st.session_state[f"pgen_{iid}_{item_id}"] = st.session_state.get(f"pgen_{iid}_{item_id}", 0) + 1


def _remove(iid: int, item_id: str, _actor: Actor, link_id: int) -> None:
    actor = current_actor()  # callbacks run before the page: check the session in the database first
    if actor is None:
        return
    try:
        with write() as s:
            photo_svc.remove_photo(session=s, actor=actor, link_id=link_id)
    except ServiceError as exc:
        st.session_state[f"perr_{iid}_{item_id}"] = tr(exc)
        return
    view: svc.DraftView = st.session_state[f"view_{iid}"]
    view.photos[item_id] = [p for p in view.photos.get(item_id, []) if p.link_id != link_id]


def thumbs(refs: list[svc.PhotoRef], *, iid: int, item_id: str, actor: Actor | None, editable: bool) -> None:
    if not refs:
        return
    cols = st.columns(4)
    for n, ref in enumerate(refs):
        with cols[n % 4]:
            st.image(photo(ref.photo_id), caption=md(ref.caption) if ref.caption else None, width=150)
            b1, b2 = st.columns(2)
            if b1.button("⤢", key=f"pv_{iid}_{item_id}_{ref.link_id}", help=t("photo_full_size")):
                _full(ref.photo_id, ref.caption)
            if editable and actor is not None:
                b2.button("✕", key=f"pr_{iid}_{item_id}_{ref.link_id}", help=t("remove"), on_click=_remove,
                          args=(iid, item_id, actor, ref.link_id))


def item_photos(iid: int, item: Item, actor: Actor, *, failed: bool, editable: bool) -> None:
    """Inside an item fragment: thumbnails, and the upload area when asked for or when evidence is due."""
    view: svc.DraftView = st.session_state[f"view_{iid}"]
    refs = view.photos.get(item.id, [])
    thumbs(refs, iid=iid, item_id=item.id, actor=actor, editable=editable)
    err = st.session_state.get(f"perr_{iid}_{item.id}")
    if err:
        st.error(md(err), icon=":material/block:")
    if not editable:
        return
    due = not refs and (item.evidence == "required" or (item.evidence == "on_fail" and failed))
    if due:
        st.markdown(f":orange-badge[{t('missing_photos')}]")
    gen = st.session_state.get(f"pgen_{iid}_{item.id}", 0)
    st.text_input(t("caption"), key=f"pc_{iid}_{item.id}", max_chars=200)
    mode = st.segmented_control(t("photos"), ["upload", "camera"], key=f"pm_{iid}_{item.id}", default="upload",
                                format_func=lambda m: t("upload_photo") if m == "upload" else t("take_photo"),
                                label_visibility="collapsed")
    if mode == "camera":  # the camera is only switched on when asked for
        key = f"pcam_{iid}_{item.id}_{gen}"
        st.camera_input(t("take_photo"), key=key, on_change=_on_upload, args=(iid, item.id, actor, key),
                        label_visibility="collapsed")
    else:
        key = f"pu_{iid}_{item.id}_{gen}"
        st.file_uploader(t("upload_photo"), type=["jpg", "jpeg", "png", "webp", "heic", "heif"], key=key,
                         on_change=_on_upload, args=(iid, item.id, actor, key), label_visibility="collapsed")


def gallery(view: svc.DraftView) -> None:
    """All photos of an inspection, grouped by item (review screen, detail, monthly review)."""
    if not any(view.photos.values()):
        return
    st.markdown(f"**{t('photos')}**")
    for item in view.checklist.items:
        refs = view.photos.get(item.id)
        if refs:
            st.caption(md(item.text))
            thumbs(refs, iid=view.header.id, item_id=item.id, actor=None, editable=False)
