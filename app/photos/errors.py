"""The one exception the photo pipeline raises for a refused upload.

Every refusal carries a stable machine ``code`` (for logs, metrics and tests) and a
user-facing message in Simplified Chinese (``message_zh``, also ``str(exc)``) and
English (``message_en``) that says *why* the photo was refused.
"""

from __future__ import annotations

from typing import Any, Literal

RejectCode = Literal[
    "empty",
    "too_large",
    "too_many_pixels",
    "not_an_image",
    "unsupported_format",
    "heic_unsupported",
    "truncated",
    "trailing_data",
    "corrupt",
    "too_complex",
    "two_frames",
    "script_content",
]


class PhotoRejected(Exception):
    """An uploaded photo was refused; nothing was written to disk."""

    def __init__(self, code: RejectCode, message_zh: str, message_en: str, **details: Any) -> None:
        super().__init__(message_zh)
        self.code: RejectCode = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message_zh

    def __repr__(self) -> str:
        return f"PhotoRejected(code={self.code!r}, message_en={self.message_en!r})"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (crosses the decode worker's pipe)."""
        return {"code": self.code, "zh": self.message_zh, "en": self.message_en, "details": self.details}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PhotoRejected:
        return cls(d["code"], d["zh"], d["en"], **d["details"])


# ---------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------

_MB = 1024 * 1024


def _num(x: float) -> str:
    """1 decimal, without a useless trailing '.0' (15.0 -> '15', 17.23 -> '17.2')."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def fmt_mb(n: int) -> str:
    return f"{_num(n / _MB)} MB"


def fmt_kb(n: int) -> str:
    return f"{_num(n / 1024)} KB" if n >= 1024 else f"{n} B"


def fmt_mp(n: int) -> str:
    return _num(n / 1_000_000)


# ---------------------------------------------------------------------------
# Constructors, one per code (keeps wording consistent across the pipeline)
# ---------------------------------------------------------------------------


def empty() -> PhotoRejected:
    return PhotoRejected(
        "empty",
        "文件是空的（0 字节），请重新选择照片。",
        "The file is empty (0 bytes); please choose the photo again.",
    )


def too_large(actual: int, limit: int) -> PhotoRejected:
    return PhotoRejected(
        "too_large",
        f"照片超过 {fmt_mb(limit)} 上限（实际 {fmt_mb(actual)}）。",
        f"The photo exceeds the {fmt_mb(limit)} limit (it is {fmt_mb(actual)}).",
        actual_bytes=actual,
        limit_bytes=limit,
    )


def too_many_pixels(width: int, height: int, limit: int) -> PhotoRejected:
    px = width * height
    return PhotoRejected(
        "too_many_pixels",
        f"照片像素过多：{width}×{height}（{fmt_mp(px)} 百万像素），上限为 {fmt_mp(limit)} 百万像素。",
        f"The photo has too many pixels: {width}×{height} ({fmt_mp(px)} MP); the limit is {fmt_mp(limit)} MP.",
        width=width,
        height=height,
        limit_pixels=limit,
    )


def not_an_image(detected: tuple[str, str] | None) -> PhotoRejected:
    if detected is None:
        return PhotoRejected(
            "not_an_image",
            "文件不是可识别的图片（不是 JPEG、PNG 或 WebP 格式），请上传照片。",
            "The file is not a recognisable image (not JPEG, PNG or WebP); please upload a photo.",
            detected=None,
        )
    zh, en = detected
    return PhotoRejected(
        "not_an_image",
        f"文件不是图片（检测到 {zh}），请上传 JPEG、PNG 或 WebP 照片。",
        f"The file is not an image (detected: {en}); please upload a JPEG, PNG or WebP photo.",
        detected=en,
    )


def unsupported_format(detected: tuple[str, str]) -> PhotoRejected:
    zh, en = detected
    return PhotoRejected(
        "unsupported_format",
        f"文件不是 JPEG、PNG 或 WebP 图片（检测到 {zh}），请转换为 JPEG 后再上传。",
        f"Only JPEG, PNG and WebP photos are accepted (detected: {en}); please convert it to JPEG.",
        detected=en,
    )


def heic_unsupported() -> PhotoRejected:
    return PhotoRejected(
        "heic_unsupported",
        "服务器暂不支持 HEIC 格式照片（缺少 HEIC 解码组件）。请在 iPad「设置 › 相机 › 格式」中选择"
        "「兼容性最佳」，或将照片导出为 JPEG 后再上传。",
        "HEIC photos are not supported on this server (no HEIC decoder installed). On the iPad choose "
        "Settings › Camera › Formats › Most Compatible, or export the photo as JPEG and upload it again.",
    )


def truncated(fmt: str) -> PhotoRejected:
    return PhotoRejected(
        "truncated",
        f"照片文件不完整（{fmt} 数据在结尾之前中断），可能是上传中断或文件已损坏，请重新上传。",
        f"The photo file is incomplete (the {fmt} data ends before the image does); "
        "the upload was probably interrupted — please upload it again.",
        format=fmt,
    )


def trailing_data(fmt: str, extra: int) -> PhotoRejected:
    return PhotoRejected(
        "trailing_data",
        f"{fmt} 图片数据结束后还附带了 {fmt_kb(extra)} 其他数据（可能拼接了压缩包或其他文件），"
        "出于安全原因不予接收。请上传相机或手机直接拍摄的原始照片。",
        f"The {fmt} file carries {fmt_kb(extra)} of extra data after the end of the image (possibly an "
        "appended archive or other file) and is refused for safety; please upload the original photo.",
        format=fmt,
        extra_bytes=extra,
    )


def corrupt(fmt: str) -> PhotoRejected:
    return PhotoRejected(
        "corrupt",
        f"照片文件已损坏，无法读取其中的 {fmt} 图像数据，请重新导出或重新拍摄后上传。",
        f"The photo file is corrupt: its {fmt} image data cannot be decoded; please re-export or retake it.",
        format=fmt,
    )


def too_many_scans(scans: int, limit: int) -> PhotoRejected:
    return PhotoRejected(
        "too_complex",
        f"照片过于复杂，无法处理：这张渐进式 JPEG 至少含 {scans} 个扫描段（上限 {limit}），"
        "普通相机照片不超过几十个。请用相机或手机重新导出为普通 JPEG 后再上传。",
        f"The image is too complex to process: this progressive JPEG has at least {scans} scans "
        f"(the limit is {limit}; camera photos have a few dozen at most). Please re-export it as a plain JPEG.",
        scans=scans,
        limit_scans=limit,
    )


def too_complex(fmt: str, cpu_seconds: int, memory_mb: int) -> PhotoRejected:
    return PhotoRejected(
        "too_complex",
        f"照片过于复杂或过大，无法处理：解码这张 {fmt} 图片超过了 {cpu_seconds} 秒处理时间或 {memory_mb} MB "
        "内存上限。请用相机或手机重新导出为普通 JPEG 后再上传。",
        f"The image is too complex or too large to process: decoding this {fmt} file went over the "
        f"{cpu_seconds} s processing-time or {memory_mb} MB memory limit. Please re-export it as a plain JPEG.",
        format=fmt,
        cpu_seconds=cpu_seconds,
        memory_mb=memory_mb,
    )


def two_frames(sizes: list[tuple[int, int]]) -> PhotoRejected:
    shown = "、".join(f"{w}×{h}" for w, h in sizes[:3])
    shown_en = ", ".join(f"{w}×{h}" for w, h in sizes[:3])
    return PhotoRejected(
        "two_frames",
        f"JPEG 文件含有 {len(sizes)} 个帧头（SOF 标记，分别声明尺寸 {shown}），一张图片只能有一个。"
        "文件结构不合法（可能是伪造的文件），不予接收。",
        f"The JPEG file has {len(sizes)} frame headers (SOF markers declaring {shown_en}); an image has "
        "exactly one. The file structure is invalid (possibly crafted) and it is refused.",
        frames=len(sizes),
    )


def script_content(fmt: str) -> PhotoRejected:
    return PhotoRejected(
        "script_content",
        f"文件以 {fmt} 图片标记开头，但其中夹带了脚本代码（如 PHP），是伪装成图片的文件，出于安全原因不予接收。"
        "请上传相机或手机直接拍摄的原始照片。",
        f"The file starts like a {fmt} image but carries script code (such as PHP): it is a disguised file "
        "and is refused for safety. Please upload the original photo.",
        format=fmt,
    )
