"""Residents' report photos: check an upload, strip its metadata, shrink it, and store it on disk.

Every upload is decoded with Pillow and re-encoded from pixel data only, so nothing the phone wrote
into the file (GPS position, camera, EXIF, XMP, colour profile) ever reaches the portal's storage.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal

import anyio.to_process
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from portal.i18n import N_

register_heif_opener()  # iPhones save HEIC by default

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 4
# A phone's largest photos are 50 MP (Samsung's and Xiaomi's 50 MP modes save JPEG; an iPhone's
# 48 MP "HEIF Max"). A JPEG decodes at 1/2 to 1/8 scale (see _request_draft), so even 50 MP costs
# little. Every other format decodes at full size, so beyond a screenshot's size its pixels must be
# paid for in bytes: a real photo compresses to fewer than 10 pixels a byte, while a picture that
# claims 232 (a 6300 x 6300 PNG in 171 KB) is built to cost the server seconds and hundreds of MB.
MAX_PIXELS = 50_400_000  # 8192 x 6144, a little over any phone camera
REDUCED_DECODE_FORMATS = ("JPEG", "MPO")
FREE_PIXELS = 5_000_000  # up to a large phone's screenshot (1440 x 3200), however well it compresses
MAX_PIXELS_PER_BYTE = 64

FULL_LONG_SIDE = 1600
THUMB_LONG_SIDE = 400
FULL_MAX_BYTES = 500 * 1024
THUMB_MAX_BYTES = 60 * 1024
# Photos are decoded in at most this many worker processes per server process (the server has two
# cores), at a lower priority. In threads they would hold the interpreter's lock against the event
# loop; in processes four reports of four big photos each queue for the workers while every page and
# /healthz still answer at once. A decoder that crashes on a hostile file takes only its worker down.
PHOTO_WORKERS = 2
WORKER_NICENESS = 10
QUALITIES = (82, 75, 68, 60, 52, 45)  # below ~45 JPEG blocks show; shrinking looks better than that

# Pillow's JPEG opener also accepts MPO, the multi-picture JPEG that some phones write.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF")
WHITE = (255, 255, 255)

NOT_A_PHOTO = N_("This file is not a photo. Choose a JPEG, PNG, WebP or HEIC picture.")
TOO_BIG = N_("This photo is too big. Each photo must be smaller than 10 MB.")
TOO_MANY_PIXELS = N_("This picture is too large to use. Please choose a normal phone photo.")
UNSUPPORTED = N_("This kind of picture is not supported. Choose a JPEG, PNG, WebP or HEIC picture.")
DAMAGED = N_("This photo is damaged and cannot be opened. Please take or choose it again.")

Size = Literal["full", "thumb"]
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")


class PhotoError(Exception):
    """An upload we refuse; ``message`` is an English message id for the view to translate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    full: bytes  # JPEG, long side <= 1600
    thumb: bytes  # JPEG, long side <= 400
    width: int
    height: int
    digest: str  # sha256 hex of ``full``


def process_photo(data: bytes) -> ProcessedPhoto:
    """Check one uploaded photo and return clean, small JPEGs of it. Raises PhotoError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoError(TOO_BIG)
    if not data:
        raise PhotoError(NOT_A_PHOTO)
    img = _decode(data)
    icc = img.info.get("icc_profile")
    # Shrink before colour work so it runs on at most 2 megapixels instead of 12.
    base = _to_srgb(_fit(_resizable(img), FULL_LONG_SIDE), icc)
    full, (width, height) = _encode_under(base, FULL_MAX_BYTES)
    thumb, _ = _encode_under(_fit(base, THUMB_LONG_SIDE), THUMB_MAX_BYTES)
    return ProcessedPhoto(full, thumb, width, height, hashlib.sha256(full).hexdigest())


_photo_workers: RunVar[CapacityLimiter] = RunVar("photo_workers")


async def process_in_pool(data: bytes) -> ProcessedPhoto:
    """process_photo on one of the photo workers, waiting for one to be free. Raises PhotoError."""
    try:
        limiter = _photo_workers.get()
    except LookupError:  # the first photo on this event loop
        limiter = CapacityLimiter(PHOTO_WORKERS)
        _photo_workers.set(limiter)
    return await anyio.to_process.run_sync(_process_in_worker, data, limiter=limiter)


async def read_one_upload(item: object, too_big: str) -> ProcessedPhoto | str | None:
    """A file field of a form: the photo, shrunk by the workers; the message id saying why not
    (``too_big`` over 10 MB, or the pipeline's own); None when no file was chosen."""
    from litestar.datastructures import UploadFile

    if not isinstance(item, UploadFile) or not item.filename:
        return None
    data = await item.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        return None
    if len(data) > MAX_UPLOAD_BYTES:
        return too_big
    try:
        return await process_in_pool(data)
    except PhotoError as problem:
        return problem.message


def _process_in_worker(data: bytes) -> ProcessedPhoto:
    """process_photo in a worker process, which yields the processor to the server's own."""
    os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)
    return process_photo(data)


# --- decoding -------------------------------------------------------------------------------------


def _decode(data: bytes) -> Image.Image:
    """Open, check from the header, then decode (already shrunk where the format allows) and upright."""
    img = _open_checked(data)
    _request_draft(img)
    try:
        img.load()
        # Rotate by the EXIF orientation now, because the metadata that records it is about to go.
        ImageOps.exif_transpose(img, in_place=True)
    except Exception as exc:
        # Pillow's decoders raise many undocumented exception types on broken data.
        raise PhotoError(DAMAGED) from exc
    return img


def _open_checked(data: bytes) -> Image.Image:
    """Read only the header, so size and format are checked before any pixel memory is allocated."""
    # Pillow warns (rather than fails) between 89 and 179 megapixels; make that an error too. The
    # filter is process-wide and not thread-safe, which is harmless: the explicit check below is what
    # enforces our own, lower limit.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Only our formats' parsers see the file: exotic ones (EPS, PSD, ...) widen the attack surface.
            img = Image.open(BytesIO(data), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoError(TOO_MANY_PIXELS) from exc
        except UnidentifiedImageError as exc:
            raise PhotoError(_why_unidentified(data)) from exc
        except Exception as exc:
            raise PhotoError(DAMAGED) from exc
    if too_many_pixels(img.format, img.width * img.height, len(data)):
        raise PhotoError(TOO_MANY_PIXELS)
    return img


def too_many_pixels(fmt: str | None, pixels: int, file_bytes: int) -> bool:
    """Whether decoding would cost more than a real phone photo of this size could."""
    if pixels > MAX_PIXELS:
        return True
    if fmt in REDUCED_DECODE_FORMATS:
        return False
    return pixels > max(FREE_PIXELS, file_bytes * MAX_PIXELS_PER_BYTE)


def _why_unidentified(data: bytes) -> str:
    """Tell an image in a format we refuse (BMP, TIFF, ...) apart from a file that is no image at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)):  # header only, never loaded
                return UNSUPPORTED
        except Image.DecompressionBombError:
            return UNSUPPORTED
        except Exception:
            return NOT_A_PHOTO


def _request_draft(img: Image.Image) -> None:
    """Let JPEG decode at 1/2, 1/4 or 1/8 scale when that still covers the final size: much faster."""
    scale = FULL_LONG_SIDE / max(img.size)
    if scale < 1:
        img.draft(None, (max(1, math.ceil(img.width * scale)), max(1, math.ceil(img.height * scale))))


# --- pixels ---------------------------------------------------------------------------------------


def _resizable(img: Image.Image) -> Image.Image:
    """A mode that resizes smoothly: palette and 1-bit images would otherwise resize pixelated."""
    if img.mode.startswith("I;16") or img.mode == "I":
        # 16-bit greyscale: Pillow would clip every value above 255 to white, so scale it down instead.
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return img
    return img.convert("RGBA" if img.has_transparency_data else "RGB")


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """Plain sRGB pixels, transparency flattened on white, with no metadata left at all."""
    if img.has_transparency_data:
        img = _flatten_on_white(img)
    img = (_icc_to_srgb(img, icc) if icc else None) or img.convert("RGB")
    # Rebuild from raw pixels: a new image carries no info, EXIF, XMP or profile from the upload.
    return Image.frombytes("RGB", img.size, img.tobytes())


def _flatten_on_white(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    background = Image.new("RGB", rgba.size, WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _icc_to_srgb(img: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert colours to sRGB (e.g. an iPhone's Display P3) so they look right without the profile."""
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:
        # A broken profile, or one that does not match the pixels: plain conversion is close enough.
        return None


def _fit(img: Image.Image, long_side: int) -> Image.Image:
    """Shrink so the long side is at most ``long_side``; never enlarge."""
    scale = long_side / max(img.size)
    if scale >= 1:
        return img
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_under(img: Image.Image, max_bytes: int) -> tuple[bytes, tuple[int, int]]:
    """Smallest loss that fits: step quality down, then shrink the picture and try again."""
    current = img
    while True:
        for quality in QUALITIES:
            data = _jpeg(current, quality)
            if len(data) < max_bytes:
                return data, current.size
        # Bytes grow roughly with pixel count, so shrink by the square root of the overshoot.
        factor = min(0.9, math.sqrt(max_bytes / len(data)))
        if max(current.size) <= 16:  # cannot happen with real limits; guarantees the loop ends
            return data, current.size
        current = _fit(img, max(16, int(max(current.size) * factor)))


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    img.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


# --- storage --------------------------------------------------------------------------------------


class MediaStore:
    """Content-addressed files on local disk under a root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, photo: ProcessedPhoto) -> str:
        """Write both sizes (skipping files already there) and return the digest."""
        # Thumbnail first: a full-size file on disk then implies its thumbnail is there too.
        sizes: tuple[tuple[Size, bytes], ...] = (("thumb", photo.thumb), ("full", photo.full))
        for size, data in sizes:
            target = self.path(photo.digest, size)
            try:
                os.utime(target)  # the same photo again: fresh, so the orphan cleanup leaves it alone
            except FileNotFoundError:
                _write_atomically(target, data)
        return photo.digest

    def keep(self, digest: str) -> bool:
        """Whether the photo is stored; if it is, it counts as fresh for the orphan cleanup."""
        try:
            for size in ("thumb", "full"):
                os.utime(self.path(digest, size))
        except (FileNotFoundError, ValueError):
            return False
        return True

    def prune(self, referenced: set[str], older_than: float, now: float | None = None) -> int:
        """Remove photo files that no ticket refers to and that nobody touched for ``older_than``
        seconds: uploads of forms that were never sent, or of staff steps that were refused.
        Returns the number of photos removed (each with its thumbnail)."""
        cutoff = (now if now is not None else time.time()) - older_than
        removed: set[str] = set()
        for file in sorted(self.root.glob("*/*/*.jpg")):  # <digest>.jpg sorts before <digest>.thumb.jpg
            digest = file.name.split(".", 1)[0]
            if digest in referenced or not _DIGEST_RE.fullmatch(digest):
                continue
            try:
                if file.stat().st_mtime > cutoff:
                    continue
                file.unlink()
            except FileNotFoundError:
                continue  # another instance removed it a moment ago
            removed.add(digest)
        return len(removed)

    def path(self, digest: str, size: Size) -> Path:
        """``root/ab/cd/<digest>.jpg`` or ``<digest>.thumb.jpg``; ValueError for anything else."""
        # The digest often comes from a URL: only exact hex can never escape the root folder.
        if not _DIGEST_RE.fullmatch(digest):
            raise ValueError(f"not a photo digest: {digest!r}")
        if size not in ("full", "thumb"):
            raise ValueError(f"not a photo size: {size!r}")
        suffix = ".jpg" if size == "full" else ".thumb.jpg"
        return self.root / digest[:2] / digest[2:4] / f"{digest}{suffix}"

    def open_bytes(self, digest: str, size: Size) -> bytes | None:
        """The stored JPEG, or None when there is none. ValueError for a malformed digest."""
        try:
            return self.path(digest, size).read_bytes()
        except FileNotFoundError:
            return None


def _write_atomically(target: Path, data: bytes) -> None:
    """Readers (and a crash) see either no file or the whole file, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; match an ordinarily written file
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
