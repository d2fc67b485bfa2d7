"""portal.media with real image files made by Pillow in the test: no mocks."""

from __future__ import annotations

import hashlib
import os
import resource
import struct
import sys
import time
import zlib
from io import BytesIO
from pathlib import Path

import anyio
import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw

from portal import media
from portal.media import MAX_UPLOAD_BYTES, MediaStore, PhotoError, ProcessedPhoto, process_photo

RED = (255, 0, 0)


def _save(img: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def _phone_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    exif[ExifTags.Base.Orientation] = 6  # sensor is landscape; shown rotated 90° clockwise
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (24.0, 35.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 6.0, 30.0)
    return exif


def _png_bomb(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size, written by hand: Pillow would need the pixels in memory."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    rows_per_block = 1000
    idat = b"".join(packer.compress(row * rows_per_block) for _ in range(height // rows_per_block))
    idat += packer.compress(row * (height % rows_per_block)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _rejected(data: bytes) -> str:
    with pytest.raises(PhotoError) as info:
        process_photo(data)
    return info.value.message


def _assert_clean_jpeg(data: bytes, long_side: int, max_bytes: int) -> Image.Image:
    img = Image.open(BytesIO(data))
    assert img.format == "JPEG"
    assert img.mode == "RGB"
    assert max(img.size) <= long_side
    assert len(data) < max_bytes
    assert len(img.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(img.info)
    assert b"Apple" not in data and b"iPhone" not in data and b"xpacket" not in data
    return img


@pytest.fixture(scope="module")
def phone_jpeg() -> bytes:
    """A 12 MP landscape sensor image, orientation 6, with GPS, camera, XMP and an ICC profile."""
    img = Image.new("RGB", (4032, 3024), (40, 90, 160))
    img.paste(RED, (0, 0, 1008, 756))  # marks the sensor's top-left corner
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/">Apple iPhone</x:xmpmeta>'
    return _save(img, "JPEG", quality=90, exif=_phone_exif(), xmp=xmp, icc_profile=srgb)


@pytest.fixture(scope="module")
def noise_jpeg() -> bytes:
    """Random noise is the worst case for JPEG size; quality 85 keeps the upload under 10 MB."""
    img = Image.frombytes("RGB", (4032, 3024), os.urandom(4032 * 3024 * 3))
    data = _save(img, "JPEG", quality=85)
    assert len(data) <= MAX_UPLOAD_BYTES
    return data


def test_phone_photo_is_rotated_shrunk_and_stripped(phone_jpeg: bytes) -> None:
    source = Image.open(BytesIO(phone_jpeg))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really carries GPS

    photo = process_photo(phone_jpeg)

    full = _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    assert full.size == (photo.width, photo.height) == (1200, 1600)  # portrait: width and height swapped
    # Rotated 90° clockwise, the sensor's top-left corner is now the top-right one.
    assert _near(full.getpixel((1150, 50)), RED)
    assert not _near(full.getpixel((50, 50)), RED)
    thumb = _assert_clean_jpeg(photo.thumb, 400, 60 * 1024)
    assert thumb.size == (300, 400)
    assert photo.digest == hashlib.sha256(photo.full).hexdigest()


def test_noise_photo_fits_in_500_kb_quickly(noise_jpeg: bytes) -> None:
    started = time.perf_counter()
    photo = process_photo(noise_jpeg)
    elapsed = time.perf_counter() - started

    _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    _assert_clean_jpeg(photo.thumb, 400, 60 * 1024)
    assert (photo.width, photo.height) == (1600, 1200)
    assert elapsed < 2.0
    print(f"noise 12 MP: full {len(photo.full)} B, thumb {len(photo.thumb)} B, {elapsed:.3f} s")


def test_noise_that_cannot_fit_at_any_quality_is_shrunk() -> None:
    # Noise made at the final size has no resize smoothing: even quality 45 is far over 500 KB.
    img = Image.frombytes("RGB", (1600, 1600), os.urandom(1600 * 1600 * 3))
    photo = process_photo(_save(img, "PNG", compress_level=1))
    _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    _assert_clean_jpeg(photo.thumb, 400, 60 * 1024)


def test_heic_is_accepted() -> None:
    pillow_heif.register_heif_opener()
    img = Image.new("RGB", (2000, 1500), (30, 160, 60))
    photo = process_photo(_save(img, "HEIF", quality=80))
    full = _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    assert full.size == (1600, 1200)
    assert _near(full.getpixel((800, 600)), (30, 160, 60))


def test_png_transparency_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (200, 150, 600, 450))
    photo = process_photo(_save(img, "PNG"))
    full = _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    assert full.size == (800, 600)  # never enlarged
    assert _near(full.getpixel((10, 10)), (255, 255, 255))
    assert _near(full.getpixel((400, 300)), RED)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF", "MPO"])
def test_other_phone_formats_are_accepted(fmt: str) -> None:
    img = Image.new("RGB", (640, 480), RED)
    extra = {"save_all": True, "append_images": [img]} if fmt == "MPO" else {}
    photo = process_photo(_save(img, fmt, **extra))
    assert _near(_assert_clean_jpeg(photo.full, 1600, 500 * 1024).getpixel((320, 240)), RED)


def test_sixteen_bit_grey_png_is_not_turned_white() -> None:
    img = Image.new("I;16", (100, 100), 32768)
    photo = process_photo(_save(img, "PNG"))
    assert _near(Image.open(BytesIO(photo.full)).getpixel((50, 50)), (128, 128, 128))


def test_text_renamed_as_photo_is_not_a_photo() -> None:
    assert _rejected(b"Dear district office,\nthe street light is broken.\n" * 20) == media.NOT_A_PHOTO
    assert _rejected(b"") == media.NOT_A_PHOTO


def test_truncated_jpeg_is_damaged() -> None:
    img = Image.frombytes("RGB", (800, 600), os.urandom(800 * 600 * 3))
    data = _save(img, "JPEG", quality=90)
    assert _rejected(data[: len(data) // 2]) == media.DAMAGED


def test_more_than_10_mb_is_too_big() -> None:
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024)
    assert _rejected(data) == media.TOO_BIG
    assert "10 MB" in media.TOO_BIG


def test_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = _png_bomb(20_000, 20_000)  # 400 megapixels in about 60 KB
    assert len(bomb) < 200_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert _rejected(bomb) == media.TOO_MANY_PIXELS
    assert time.perf_counter() - started < 0.5
    if sys.platform.startswith("linux"):  # ru_maxrss is KiB on Linux
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100 * 1024


def test_over_40_megapixels_is_refused_below_pillows_own_limit() -> None:
    # 42 MP is below Pillow's 89 MP warning, so only our own header check catches it.
    assert _rejected(_png_bomb(7000, 6000)) == media.TOO_MANY_PIXELS


def _striped_png(width: int, height: int) -> bytes:
    """A picture of a few stripes, which PNG compresses to almost nothing whatever its size."""
    img = Image.new("RGB", (width, height), (200, 200, 190))
    draw = ImageDraw.Draw(img)
    for left in range(0, min(width, height) // 2, 300):
        draw.rectangle((left, left, left + 150, height - left), fill=(left % 255, 80, 40))
    return _save(img, "PNG")


def test_a_small_file_that_decodes_huge_is_refused_from_its_header() -> None:
    """The audit's picture: 6300 x 6300 (39.7 MP, under the old 40 MP bound) in about 130 KB took
    2-6 s and 400 MB to shrink. It claims far more pixels than its bytes can honestly carry."""
    bomb = _striped_png(6300, 6300)
    assert len(bomb) < 200_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert _rejected(bomb) == media.TOO_MANY_PIXELS
    if sys.platform.startswith("linux"):
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50 * 1024


def test_a_50_megapixel_phone_jpeg_is_accepted() -> None:
    """Phones with 50 MP modes save JPEG, which decodes at a quarter of the size here."""
    img = Image.new("RGB", (8160, 6120), (90, 120, 150))
    img.paste(RED, (0, 0, 2040, 1530))
    photo = process_photo(_save(img, "JPEG", quality=90))
    full = _assert_clean_jpeg(photo.full, 1600, 500 * 1024)
    assert full.size == (1600, 1200)
    assert _near(full.getpixel((100, 100)), RED)


def test_more_than_any_phone_camera_is_refused_even_as_jpeg() -> None:
    img = Image.new("L", (8400, 6200), 128)  # 52 MP
    assert _rejected(_save(img, "JPEG", quality=80)) == media.TOO_MANY_PIXELS


def test_a_large_screenshot_is_accepted_however_well_it_compresses() -> None:
    photo = process_photo(_striped_png(1440, 3200))
    assert (photo.width, photo.height) == (720, 1600)


def test_a_big_photo_in_another_format_is_accepted_when_its_size_is_honest() -> None:
    """5.8 MP of WebP in about a megabyte: a real photo's bytes for its pixels."""
    img = Image.effect_noise((725, 500), 60).convert("RGB").resize((2900, 2000), Image.Resampling.BILINEAR)
    data = _save(img, "WEBP", quality=80)
    assert img.width * img.height > media.FREE_PIXELS
    photo = process_photo(data)
    assert (photo.width, photo.height) == (1600, 1103)


def test_photos_are_processed_in_worker_processes_at_low_priority(phone_jpeg: bytes) -> None:
    """The same result as in the server's own process, and refusals arrive as PhotoError."""

    async def both() -> tuple[ProcessedPhoto, str]:
        photo = await media.process_in_pool(phone_jpeg)
        try:
            await media.process_in_pool(b"plain text, not a photo")
        except PhotoError as refused:
            return photo, refused.message
        raise AssertionError("not refused")

    photo, message = anyio.run(both)
    assert photo == process_photo(phone_jpeg)
    assert message == media.NOT_A_PHOTO
    assert os.getpriority(os.PRIO_PROCESS, 0) < media.WORKER_NICENESS  # the worker's, not ours


@pytest.mark.parametrize(("fmt", "mode"), [("BMP", "RGB"), ("TIFF", "RGB"), ("ICO", "RGBA")])
def test_other_image_formats_are_unsupported(fmt: str, mode: str) -> None:
    img = Image.new(mode, (64, 64), RED)
    assert _rejected(_save(img, fmt)) == media.UNSUPPORTED


def test_messages_are_distinct() -> None:
    messages = {media.NOT_A_PHOTO, media.TOO_BIG, media.TOO_MANY_PIXELS, media.UNSUPPORTED, media.DAMAGED}
    assert len(messages) == 5


def test_store_round_trip(tmp_path: Path) -> None:
    photo = process_photo(_save(Image.new("RGB", (640, 480), RED), "PNG"))
    store = MediaStore(tmp_path)

    assert store.save(photo) == photo.digest
    assert store.save(photo) == photo.digest  # idempotent

    full_path = store.path(photo.digest, "full")
    d = photo.digest
    assert full_path == tmp_path / d[:2] / d[2:4] / f"{d}.jpg"
    assert store.path(d, "thumb") == tmp_path / d[:2] / d[2:4] / f"{d}.thumb.jpg"
    assert store.open_bytes(d, "full") == photo.full
    assert store.open_bytes(d, "thumb") == photo.thumb
    assert store.open_bytes("0" * 64, "full") is None
    assert sorted(p.name for p in full_path.parent.iterdir()) == [f"{d}.jpg", f"{d}.thumb.jpg"]  # no temp


@pytest.mark.parametrize(
    "digest", ["../../etc/passwd", "A" * 64, "0" * 63, "0" * 65, "0" * 64 + "\n", "../" + "0" * 61, ""]
)
def test_store_rejects_bad_digests(tmp_path: Path, digest: str) -> None:
    store = MediaStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(digest, "full")
    with pytest.raises(ValueError):
        store.open_bytes(digest, "thumb")


def test_store_rejects_unknown_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        MediaStore(tmp_path).path("0" * 64, "original")  # type: ignore[arg-type]


def test_processed_photo_is_frozen() -> None:
    photo = ProcessedPhoto(b"a", b"b", 1, 1, "0" * 64)
    with pytest.raises(AttributeError):
        photo.width = 2  # type: ignore[misc]


def _near(pixel: object, expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def _stored_photo(store: MediaStore, colour: tuple[int, int, int], age_seconds: float) -> str:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    digest = store.save(process_photo(buffer.getvalue()))
    old = time.time() - age_seconds
    for size in ("full", "thumb"):
        os.utime(store.path(digest, size), (old, old))  # type: ignore[arg-type]
    return digest


def test_orphan_photos_are_pruned_after_the_grace_period(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    day = 24 * 3600
    kept = _stored_photo(store, (200, 10, 10), 30 * day)  # old, but a ticket refers to it
    orphan = _stored_photo(store, (10, 200, 10), 3 * day)  # a form never sent, three days ago
    fresh = _stored_photo(store, (10, 10, 200), 3600)  # a form being filled in now
    again = _stored_photo(store, (90, 90, 90), 3 * day)
    assert store.keep(again)  # a resident came back to the form that kept it: fresh again
    assert store.prune({kept}, 2 * day) == 1
    assert store.open_bytes(orphan, "full") is None and store.open_bytes(orphan, "thumb") is None
    for digest in (kept, fresh, again):
        assert store.open_bytes(digest, "full") and store.open_bytes(digest, "thumb")
    assert store.prune({kept}, 2 * day) == 0
    assert not store.keep(orphan)
