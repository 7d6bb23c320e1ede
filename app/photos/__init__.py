"""Photo-evidence pipeline: validated uploads -> stripped, resized JPEGs in a content-addressed store.

Pure pipeline + filesystem store (no Streamlit, no database)::

    from app.photos import PhotoRejected, ingest_photo, open_stored

    try:
        photo = ingest_photo(upload.getvalue(), root=photos_dir(), filename=upload.name)
    except PhotoRejected as exc:
        st.error(exc.message(lang))    # exc.code is the stable machine code
    ...
    st.image(open_stored(photos_dir(), photo.thumb_path))
"""

from app.photos.errors import PhotoRejected, RejectCode
from app.photos.pipeline import PhotoLimits, StoredPhoto, ingest_photo
from app.photos.store import open_stored

__all__ = ["PhotoLimits", "PhotoRejected", "RejectCode", "StoredPhoto", "ingest_photo", "open_stored"]
