"""Writing dataset images to files, byte for byte (no re-encoding)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from mlan.atomic import write_bytes
from mlan.errors import SourceError

_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"GIF87a": ".gif",
    b"GIF89a": ".gif",
    b"BM": ".bmp",
}


def image_suffix(data: bytes) -> str:
    for signature, suffix in _SIGNATURES.items():
        if data.startswith(signature):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    raise ValueError("not a PNG, JPEG, GIF, BMP or WebP image")


def check_decodes(data: bytes) -> None:
    """Decode the image once: a truncated or corrupt file fails here, naming its row,
    not in the middle of training."""
    from PIL import Image, ImageFile

    # strict whatever an imported library chose (lmms-eval turns LOAD_TRUNCATED_IMAGES on)
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError, ... on bad bytes
        raise ValueError(f"the image cannot be decoded ({type(error).__name__}: {error})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def image_bytes(value: Any) -> bytes:
    """The encoded bytes of an image cell: a ``{bytes, path}`` struct or raw bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict) and value.get("bytes"):
        return bytes(value["bytes"])
    raise ValueError("image cell has no bytes (expected a {bytes, path} struct)")


class ImageStore:
    """Saves images as ``{root}/{dataset}/{stem}{suffix}``; returns paths relative to root."""

    def __init__(self, root: str | Path, dataset: str):
        self.root = Path(root)
        self.dataset = dataset
        self.folder = self.root / dataset
        self.folder.mkdir(parents=True, exist_ok=True)

    def save(self, data: bytes, stem: str) -> str:
        suffix = image_suffix(data)
        safe_stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        target = self.folder / f"{safe_stem}{suffix}"
        if target.exists():
            if target.read_bytes() != data:
                raise ValueError(f"two different images are both named '{target.name}' in {self.folder}")
        else:
            check_decodes(data)  # once per distinct image
            write_bytes(target, data, sync=False)
        return f"{self.dataset}/{target.name}"


class ImageArchive:
    """Images referenced by relative path, in a folder or inside a zip (LLaVA-Pretrain)."""

    def __init__(self, root: Path, folder: str = "images", archive: str = "images.zip"):
        self.folder = root / folder
        self.zip = zipfile.ZipFile(root / archive) if (root / archive).is_file() else None
        if self.zip is None and not self.folder.is_dir():
            raise SourceError(f"neither '{root / archive}' nor the folder '{self.folder}' exists")
        self.names = set(self.zip.namelist()) if self.zip else set()

    def read(self, relative: str) -> bytes:
        if (self.folder / relative).is_file():
            return (self.folder / relative).read_bytes()
        for name in (relative, f"images/{relative}"):
            if name in self.names:
                return self.zip.read(name)
        raise FileNotFoundError(relative)
