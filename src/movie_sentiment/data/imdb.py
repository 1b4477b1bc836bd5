"""The IMDB Large Movie Review Dataset: find it, parse it once, and serve two views.

* Raw view: ``load_reviews("train")`` gives texts, labels, star ratings and ids.
* Keras view: ``load_data`` / ``get_word_index`` have the signature and semantics of
  ``keras.datasets.imdb``, so the tutorials run with one changed import, and
  ``decode_review`` shows ids as words.

Where the archive comes from, first match wins: an explicit path (``--data PATH``), the
``MOVIE_SENTIMENT_DATA`` environment variable, the user cache, then a download of the
official archive (checksum-verified, resumable). The first load parses the archive into
a cache folder (texts, labels, tokens); later loads read that in about a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movie_sentiment.data.archive import REVIEW_FOLDERS, SPLITS, read_reviews
from movie_sentiment.errors import ConfigError, DataNotFoundError, InvalidDataError, StorageError
from movie_sentiment.storage import (
    CACHE_ENV,
    cache_dir,
    make_folder,
    remove_stale_staging,
    staging_folder,
    storage_errors,
)
from movie_sentiment.text.tokenize import (
    TOKENIZER_VERSION,
    Tokenized,
    rank_by_frequency,
    tokenize_corpus,
)

DATA_ENV = "MOVIE_SENTIMENT_DATA"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"
CACHE_FORMAT = 2  # 2: each review's movie (``movies``), from the archive's urls_*.txt
LABELED_SPLITS = ("train", "test")


# -- finding the archive ---------------------------------------------------------------
def resolve_archive(path: str | Path | None = None, *, download: bool = True) -> Path:
    """The IMDB archive or ``aclImdb`` folder to read: ``path``, else ``$MOVIE_SENTIMENT_DATA``,
    else the cached download, else download the official archive (when ``download``)."""
    if path is not None:
        found = Path(path).expanduser()
        if not found.exists():
            raise DataNotFoundError(f"IMDB data not found at {found} (given as the data path)")
        return found
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        found = Path(from_env).expanduser()
        if not found.exists():
            raise DataNotFoundError(f"IMDB data not found at {found} (from ${DATA_ENV})")
        return found
    cached = cache_dir() / ARCHIVE_NAME
    if cached.exists():
        return cached
    if not download:
        raise DataNotFoundError(
            f"IMDB data not found: pass --data PATH, set ${DATA_ENV}, or allow the download"
        )
    from movie_sentiment.data.download import OFFICIAL_SHA256, OFFICIAL_SIZE, OFFICIAL_URL
    from movie_sentiment.data.download import download as fetch

    return fetch(OFFICIAL_URL, cached, sha256=OFFICIAL_SHA256, size=OFFICIAL_SIZE)


# -- the parsed cache ------------------------------------------------------------------
def _fingerprint(source: Path) -> str:
    """Cheap identity of a source (path, size, modification time), so a warm load never
    re-hashes 80 MB; the content checksum is computed once, at parse time."""
    source = source.resolve()
    if source.is_dir():
        # A folder's mtime changes when files are added, removed or renamed in it; stat-ing
        # the five review folders is enough and avoids walking 100,000 files on every load.
        root = source if source.name == "aclImdb" else source / "aclImdb"
        stamp = [str(source)]
        for split, folder in REVIEW_FOLDERS:
            directory = root / split / folder
            if directory.is_dir():
                stamp.append(f"{split}/{folder}:{directory.stat().st_mtime_ns}")
    else:
        stat = source.stat()
        stamp = [str(source), str(stat.st_size), str(stat.st_mtime_ns)]
    stamp += [str(CACHE_FORMAT), TOKENIZER_VERSION]
    return hashlib.sha256("|".join(stamp).encode()).hexdigest()[:20]


def _checksum(source: Path) -> str:
    digest = hashlib.sha256()
    if source.is_dir():
        for child in sorted(source.rglob("*.txt")):
            digest.update(child.relative_to(source).as_posix().encode())
            digest.update(child.read_bytes())
    else:
        with source.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _build_cache(source: Path, target: Path) -> None:
    """Parse ``source`` into the cache folder ``target``, atomically (staging + rename)."""
    from rich.console import Console

    with Console(stderr=True).status(f"Parsing {source.name} into the cache (once)..."):
        reviews = read_reviews(source)
        vocabulary: list[str] = []  # one id space shared by all splits
        staging = staging_folder(target.parent, "parse")
        try:
            counts = {}
            for split in SPLITS:
                rows = [r for r in reviews if r.split == split]
                texts = [r.text for r in rows]
                tokens = tokenize_corpus(texts, vocabulary)
                text_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
                np.cumsum([len(t) for t in texts], out=text_offsets[1:])
                np.savez(
                    staging / f"{split}.npz",
                    text=np.frombuffer("".join(texts).encode("utf-8"), dtype=np.uint8),
                    text_offsets=text_offsets,
                    labels=np.array([r.label for r in rows], dtype=np.int8),
                    ratings=np.array([r.rating for r in rows], dtype=np.int8),
                    ids=np.array([r.review_id for r in rows], dtype=np.int32),
                    movies=np.array([r.movie for r in rows], dtype=np.str_),
                    token_ids=tokens.ids,
                    token_offsets=tokens.offsets,
                )
                counts[split] = len(rows)
            meta = {
                "format": CACHE_FORMAT,
                "tokenizer": TOKENIZER_VERSION,
                "source": str(source),
                "sha256": _checksum(source),
                "counts": counts,
            }
            (staging / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False))
            (staging / "meta.json").write_text(json.dumps(meta, indent=2))
            try:
                os.replace(staging, target)
            except OSError:
                if not target.exists():
                    raise
                shutil.rmtree(staging, ignore_errors=True)  # another process won the race
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def _parsed_folder(data: str | Path | None) -> Path:
    source = resolve_archive(data)
    root = cache_dir() / "parsed"
    target = root / _fingerprint(source)
    if not (target / "meta.json").exists():
        try:
            make_folder(root)
            remove_stale_staging(root, legacy=True)  # left by a parse that was killed
            with storage_errors(root):
                _build_cache(source, target)
        except StorageError as error:
            raise StorageError(f"{error} (set ${CACHE_ENV} to cache somewhere else)") from None
    return target


@dataclass
class ImdbCache:
    """The parsed archive: per-split arrays, the shared token vocabulary, metadata."""

    folder: Path
    meta: dict
    vocabulary: list[str]

    @classmethod
    def open(cls, data: str | Path | None = None) -> ImdbCache:
        folder = _parsed_folder(data)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InvalidDataError(
                f"the IMDB cache at {folder} is damaged ({error}); delete it"
            ) from None
        return cls(folder, meta, vocabulary)

    def arrays(self, split: str, *names: str) -> dict[str, np.ndarray]:
        """The split's stored arrays, only ``names`` when given (an .npz reads each member
        on access, so the 33 MB of text is not read for a look at labels or tokens)."""
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")
        with np.load(self.folder / f"{split}.npz", allow_pickle=False) as arrays:
            return {name: arrays[name] for name in (names or arrays.files)}

    def tokens(self, split: str) -> Tokenized:
        arrays = self.arrays(split, "token_ids", "token_offsets")
        return Tokenized(arrays["token_ids"], arrays["token_offsets"], self.vocabulary)


# -- raw view ----------------------------------------------------------------------------
@dataclass
class ReviewDataset:
    """Reviews with their labels (1 positive, 0 negative, -1 unlabeled), star ratings
    (1-10, 0 when unlabeled) and ids. ``tokens`` holds the cached tokenization when the
    data came from the IMDB cache, so training need not tokenize again."""

    texts: list[str]
    labels: np.ndarray
    ratings: np.ndarray
    ids: np.ndarray
    split: str = ""
    checksum: str = ""
    tokens: Tokenized | None = None
    movies: np.ndarray | None = None  # each review's movie (IMDB title id, "" unknown)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def encodable(self) -> Tokenized | list[str]:
        """What an encoder reads fastest: the cached tokens when there are any, else texts."""
        return self.tokens if self.tokens is not None else self.texts

    def select(self, indices) -> ReviewDataset:
        """The reviews at ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return ReviewDataset(
            texts=[self.texts[i] for i in indices.tolist()],
            labels=self.labels[indices],
            ratings=self.ratings[indices],
            ids=self.ids[indices],
            split=self.split,
            checksum=self.checksum,
            tokens=None if self.tokens is None else self.tokens.select(indices),
            movies=None if self.movies is None else self.movies[indices],
        )


def load_reviews(split: str = "train", data: str | Path | None = None) -> ReviewDataset:
    """One split of IMDB (``train``, ``test`` or ``unsup``) as raw texts and labels.

    >>> train = load_reviews("train")
    >>> len(train), train.labels[:3], train.texts[0][:40]
    """
    cache = ImdbCache.open(data)
    arrays = cache.arrays(split)
    blob = arrays["text"].tobytes().decode("utf-8")
    bounds = arrays["text_offsets"].tolist()
    texts = [blob[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    return ReviewDataset(
        texts=texts,
        labels=arrays["labels"],
        ratings=arrays["ratings"],
        ids=arrays["ids"],
        split=split,
        checksum=cache.meta["sha256"],
        tokens=Tokenized(arrays["token_ids"], arrays["token_offsets"], cache.vocabulary),
        movies=arrays["movies"],
    )


# -- Keras view --------------------------------------------------------------------------
# Ranks per cache folder: a folder is named by its source's fingerprint and never changes,
# so load_data, get_word_index and decode_review in one session rank the words once.
_RANKS: dict[Path, tuple[np.ndarray, list[str]]] = {}


def _keras_ranks(cache: ImdbCache) -> tuple[np.ndarray, list[str]]:
    """Frequency rank (1 = most frequent, over the 50,000 labeled reviews, as Keras ranks
    its word index) of each cached token id, and the ranked words."""
    if cache.folder not in _RANKS:
        _RANKS[cache.folder] = _rank_words(cache)
    return _RANKS[cache.folder]


def _rank_words(cache: ImdbCache) -> tuple[np.ndarray, list[str]]:
    size = len(cache.vocabulary)
    counts = sum(np.bincount(cache.tokens(s).ids, minlength=size) for s in LABELED_SPLITS)
    ranked = rank_by_frequency(counts, cache.vocabulary)
    index = {word: i for i, word in enumerate(cache.vocabulary)}
    ranks = np.zeros(size, dtype=np.int64)
    ranks[[index[word] for word in ranked]] = np.arange(1, len(ranked) + 1)
    return ranks, ranked


def get_word_index(path: str | Path | None = None) -> dict[str, int]:
    """Word -> frequency rank (1 = most frequent), like ``keras.datasets.imdb.get_word_index``.

    ``path`` is the IMDB archive or folder (default: resolved as everywhere else).
    """
    _, ranked = _keras_ranks(ImdbCache.open(path))
    return {word: rank for rank, word in enumerate(ranked, start=1)}


def keras_arrays(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The data in the layout of Keras' ``imdb.npz``: ``x_train``/``x_test`` are object
    arrays of lists of word ranks (no start mark, no offset), in archive order."""
    cache = ImdbCache.open(path)
    ranks, _ = _keras_ranks(cache)
    out = {}
    for split in LABELED_SPLITS:
        arrays = cache.arrays(split, "token_ids", "token_offsets", "labels")
        tokens = Tokenized(ranks[arrays["token_ids"]], arrays["token_offsets"], [])
        out[f"x_{split}"] = _object_array(tokens.texts_as_lists())
        out[f"y_{split}"] = arrays["labels"].astype(np.int64)
    return out


def _object_array(rows: list) -> np.ndarray:
    array = np.empty(len(rows), dtype=object)
    array[:] = rows
    return array


def load_data(
    path: str | Path | None = None,
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
):
    """``(x_train, y_train), (x_test, y_test)`` exactly as ``keras.datasets.imdb.load_data``
    computes them from its ``imdb.npz``: the same shuffle by ``seed``, start mark, index
    offset, ``maxlen`` filter (keeps sequences shorter than maxlen) and ``num_words`` /
    ``skip_top`` cut to ``oov_char``. ``path`` is the IMDB archive or folder.
    """
    cache = ImdbCache.open(path)
    ranks, _ = _keras_ranks(cache)
    rng = np.random.RandomState(seed)
    parts = []
    for split in LABELED_SPLITS:
        tokens = cache.tokens(split)
        labels = cache.arrays(split, "labels")["labels"].astype(np.int64)
        order = np.arange(len(tokens))
        rng.shuffle(order)
        tokens, labels = tokens.select(order), labels[order]
        ids = ranks[tokens.ids] + index_from
        lengths = tokens.lengths()
        if start_char is not None:
            ids = np.insert(ids, tokens.offsets[:-1], start_char)
            lengths = lengths + 1
        if maxlen:
            keep = lengths < maxlen
            kept = np.repeat(keep, lengths)
            ids, lengths, labels = ids[kept], lengths[keep], labels[keep]
        parts.append((ids, lengths, labels))
    if maxlen and any(len(lengths) == 0 for _, lengths, _ in parts):
        raise ConfigError(
            f"After filtering for sequences shorter than maxlen={maxlen}, "
            "no sequence was kept. Increase maxlen."
        )
    if not num_words:
        num_words = max(int(ids.max()) for ids, _, _ in parts if len(ids))
    result = []
    for ids, lengths, labels in parts:
        inside = (ids >= skip_top) & (ids < num_words)
        if oov_char is not None:
            ids = np.where(inside, ids, oov_char)
        else:
            # Dropping tokens shortens each sequence by its number of dropped tokens.
            owner = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(owner[inside], minlength=len(lengths))
            ids = ids[inside]
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        rows = Tokenized(ids, offsets, []).texts_as_lists()
        result.append((_object_array(rows), labels))
    return result[0], result[1]


@dataclass(frozen=True)
class ReviewView:
    """One review as the notebooks look at it: raw text, Keras-view ids, decoded words."""

    split: str
    index: int
    review_id: int
    rating: int
    label: int  # 1 positive, 0 negative, -1 unlabeled
    text: str
    ids: list[int]  # as load_data gives them (start mark, index_from, num_words cut)
    decoded: str


def show_review(
    split: str = "train",
    index: int = 0,
    data: str | Path | None = None,
    *,
    num_words: int | None = 10000,
    start_char: int = 1,
    oov_char: int = 2,
    index_from: int = 3,
) -> ReviewView:
    """Review ``index`` of ``split`` (archive order) with its Keras-view ids, as
    ``load_data(num_words=...)`` encodes it, and those ids decoded back to words."""
    if num_words is not None and (isinstance(num_words, bool) or num_words < 1):
        raise ConfigError(f"num_words must be a whole number of 1 or more, not {num_words}")
    cache = ImdbCache.open(data)
    arrays = cache.arrays(split)
    count = len(arrays["labels"])
    if not 0 <= index < count:
        raise ConfigError(f"index must be from 0 to {count - 1} for the {split} split")
    tokens = Tokenized(arrays["token_ids"], arrays["token_offsets"], cache.vocabulary)
    bounds = arrays["text_offsets"]
    text = arrays["text"].tobytes().decode("utf-8")[bounds[index] : bounds[index + 1]]
    ranks, ranked = _keras_ranks(cache)
    word_ids = (ranks[tokens.select([index]).ids] + index_from).tolist()
    limit = num_words if num_words is not None else max(word_ids, default=start_char) + 1
    # load_data cuts every id, the start mark's too, at num_words (as Keras does)
    ids = [i if i < limit else oov_char for i in [start_char, *word_ids]]
    word_index = {word: rank for rank, word in enumerate(ranked, start=1)}
    return ReviewView(
        split=split,
        index=index,
        review_id=int(arrays["ids"][index]),
        rating=int(arrays["ratings"][index]),
        label=int(arrays["labels"][index]),
        text=text,
        ids=ids,
        decoded=decode_review(
            ids,
            word_index=word_index,
            start_char=start_char,
            oov_char=oov_char,
            index_from=index_from,
        ),
    )


def decode_review(
    ids,
    path: str | Path | None = None,
    *,
    word_index: dict[str, int] | None = None,
    start_char: int = 1,
    oov_char: int = 2,
    index_from: int = 3,
) -> str:
    """Ids from ``load_data`` back to words, as the tutorials do it: ``<PAD>``, ``<START>``,
    ``<UNK>``, ``<UNUSED>`` for the reserved ids and ``?`` for an unknown id."""
    word_index = get_word_index(path) if word_index is None else word_index
    reverse = {rank + index_from: word for word, rank in word_index.items()}
    reverse.update({0: "<PAD>", start_char: "<START>", oov_char: "<UNK>"})
    for reserved in range(index_from + 1):
        reverse.setdefault(reserved, "<UNUSED>")
    return " ".join(reverse.get(int(i), "?") for i in ids)
