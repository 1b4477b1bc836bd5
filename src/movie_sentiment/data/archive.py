"""Read the reviews out of an ``aclImdb`` archive (``.tar.gz``) or extracted folder.

Layout (Maas et al. 2011): ``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`` and
``aclImdb/train/unsup/ID_0.txt``. The star rating is in the file name, and line ID of
``aclImdb/{split}/urls_{pos,neg,unsup}.txt`` is the review's movie page (its IMDB title id,
``tt0453418``, names the movie: test and train share no movie).
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from movie_sentiment.errors import DataNotFoundError, InvalidDataError

MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")
URLS = re.compile(r"(?:^|/)aclImdb/(train|test)/urls_(pos|neg|unsup)\.txt$")
TITLE = re.compile(r"/title/(tt\d+)")
SPLITS = ("train", "test", "unsup")
LABELS = {"pos": 1, "neg": 0, "unsup": -1}
REVIEW_FOLDERS = (
    ("train", "pos"),
    ("train", "neg"),
    ("test", "pos"),
    ("test", "neg"),
    ("train", "unsup"),
)


@dataclass(frozen=True)
class RawReview:
    split: str
    label: int  # 1 positive, 0 negative, -1 unlabeled
    review_id: int
    rating: int  # stars 1-10, 0 when unlabeled
    text: str
    movie: str = ""  # the movie's IMDB title id (urls_*.txt); "" when the archive has none


def _decode(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidDataError(f"{name} is not UTF-8 text ({error.reason})") from None


def _review(name: str, raw: bytes) -> RawReview | None:
    match = MEMBER.search(name)
    if not match:
        return None
    split, folder, review_id, rating = match.groups()
    if (split, folder) == ("test", "unsup"):
        return None
    split = "unsup" if folder == "unsup" else split
    return RawReview(split, LABELS[folder], int(review_id), int(rating), _decode(name, raw))


def _movies(raw: bytes) -> list[str]:
    """The title id on each line of a ``urls_*.txt`` (line i: review i), "" where none."""
    lines = raw.decode("utf-8", errors="replace").splitlines()
    return [match.group(1) if (match := TITLE.search(line)) else "" for line in lines]


def _from_tar(path: Path, urls: dict) -> Iterator[RawReview]:
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                if match := URLS.search(member.name):
                    urls[match.groups()] = _movies(archive.extractfile(member).read())
                if not MEMBER.search(member.name):
                    continue
                handle = archive.extractfile(member)
                review = _review(member.name, handle.read())
                if review is not None:
                    yield review
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise InvalidDataError(f"{path} is not a readable IMDB tar archive ({error})") from None


def _from_folder(path: Path, urls: dict) -> Iterator[RawReview]:
    root = path if path.name == "aclImdb" else path / "aclImdb"
    if not root.is_dir():
        raise InvalidDataError(f"{path} has no aclImdb/ folder")
    for split, folder in REVIEW_FOLDERS:
        directory = root / split / folder
        if (root / split / f"urls_{folder}.txt").is_file():
            urls[split, folder] = _movies((root / split / f"urls_{folder}.txt").read_bytes())
        if not directory.is_dir():
            continue
        for file in directory.iterdir():
            if not file.is_file():  # a folder or a dangling link named like a review
                continue
            review = _review(f"aclImdb/{split}/{folder}/{file.name}", file.read_bytes())
            if review is not None:
                yield review


def read_reviews(path: Path) -> list[RawReview]:
    """Every review in the archive or folder at ``path``, in a stable order
    (split, positive before negative, then by review id)."""
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError(f"IMDB data not found at {path}")
    urls: dict[tuple[str, str], list[str]] = {}
    reviews = list(_from_folder(path, urls) if path.is_dir() else _from_tar(path, urls))
    reviews = [_with_movie(review, urls) for review in reviews]
    for split in ("train", "test"):
        if not any(r.split == split and r.label >= 0 for r in reviews):
            raise InvalidDataError(f"{path} holds no labeled reviews under aclImdb/{split}/")
    reviews.sort(key=lambda r: (SPLITS.index(r.split), -r.label, r.review_id))
    return reviews


def _with_movie(review: RawReview, urls: dict) -> RawReview:
    folder = "unsup" if review.split == "unsup" else ("pos" if review.label == 1 else "neg")
    split = "train" if review.split == "unsup" else review.split
    movies = urls.get((split, folder), [])
    movie = movies[review.review_id] if review.review_id < len(movies) else ""
    return replace(review, movie=movie) if movie else review
