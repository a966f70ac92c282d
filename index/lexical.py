"""BM25 over the chunks' texts (bm25s: English stop words, Snowball stemming), kept as plain arrays so that the store
saves it with each generation and a question never waits for it to be built. bm25s and PyStemmer live here only.

The index is a term x chunk matrix of precomputed BM25 scores in compressed-column form, as bm25s builds it:
`indptr[t]:indptr[t + 1]` spans term t's entries, `indices` holds their chunk positions and `data` their scores.
A query's scores are the sum of its terms' columns, added in the order bm25s adds them, so they are bit for bit
the scores bm25s itself gives.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from ingest.clean import SUPERSCRIPTS

# How the index is built; recorded in the manifest: a generation built otherwise is rebuilt in memory, not trusted.
SPEC = {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75, "stopwords": "en", "stemmer": "english",
        "short_options": "x_opt"}
ARRAYS = ("data", "indices", "indptr")
# A one-letter command-line option ("-x", "-X"): bm25s reads words of two characters or more, in lower case, so
# "git clean -x" and "-X" would be the same query as "git clean". Each becomes a term of its own, case kept.
SHORT_OPTION = re.compile(r"(?<![\w-])-([A-Za-z])(?![\w-])")


_SUPERSCRIPTS_APART = str.maketrans({ch: " " for ch in SUPERSCRIPTS})


def short_options(text: str) -> list[str]:
    """The one-letter options in `text`, as written ("-x", "-X")."""
    return ["-" + letter for letter in SHORT_OPTION.findall(text)]


def _readable(text: str) -> str:
    """`text` with each one-letter option spelt as a term bm25s keeps and its stemmer leaves alone: "-x" -> "x_opt",
    "-X" -> "x_upper_opt"; superscripts apart from the word they mark ("calc¹" is "calc")."""
    text = SHORT_OPTION.sub(lambda m: f" {m[1].lower()}{'_upper' if m[1].isupper() else ''}_opt ", text)
    return text.translate(_SUPERSCRIPTS_APART)


# British and American spellings of one word ending: "colour"/"color", "initialise"/"initialize", "centre"/"center"
_SPELLING_PAIRS = (("our", "or"), ("ise", "ize"), ("isation", "ization"), ("yse", "yze"), ("tre", "ter"),
                   ("ence", "ense"), ("ogue", "og"), ("lled", "led"), ("lling", "ling"))
_INFLECTIONS = ("", "s", "d", "ed", "es", "ing", "er", "ers", "ite", "ites")
# (ending, the other spelling's ending, whether that one is longer), in the order variants are offered
_SPELLING_SWAPS = [(a + inflection, b + inflection, len(b) > len(a)) for one, other in _SPELLING_PAIRS
                   for a, b in ((one, other), (other, one)) for inflection in _INFLECTIONS]
_SWAPPED_ENDINGS = tuple(ending for ending, _, _ in _SPELLING_SWAPS)


def spelling_variants(word: str) -> list[str]:
    """The word in the other spelling(s) of English ("coloured" -> "colored", "color" -> "colour"); [] for a
    word of four letters or fewer ("four", "tour") or with no such ending."""
    lower = word.lower()
    if len(word) <= 4 or not word.isalpha() or not lower.endswith(_SWAPPED_ENDINGS):  # most words: one check
        return []
    variants = []
    for ending, other, longer in _SPELLING_SWAPS:
        already = longer and lower.endswith(other)  # "travelled" is no "travel-led"
        if lower.endswith(ending) and not already and len(word) - len(ending) >= 2:
            variants.append(word[: len(word) - len(ending)] + other)
    return list(dict.fromkeys(variants))


MIN_TYPO_LETTERS = 6  # a shorter unknown word is more often a name or a term than a slip ("conda", "wdiff")


def typo_fixes(word: str) -> list[str]:
    """The spellings one common slip away from a word: a letter doubled or undoubled ("emisions", "acording"),
    two neighbours swapped ("directroy"); [] for a short word, or one with a capital or a digit."""
    if len(word) < MIN_TYPO_LETTERS or not (word.isalpha() and word.islower()):
        return []
    doubled = [word[:i] + word[i] + word[i:] for i in range(len(word))]
    undoubled = [word[:i] + word[i + 1:] for i in range(len(word) - 1) if word[i] == word[i + 1]]
    swapped = [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]
    return list(dict.fromkeys(doubled + undoubled + swapped))


def spelled_as_held(query: str, holds) -> str:
    """The query with each word the articles never write replaced by its other spelling when they write that one
    ("coloured boxes" searched as "colored boxes" in American documentation), or by the word a common slip made of
    it ("emisions" as "emissions"); `holds(word)` tells which they do."""
    def respelled(match: re.Match) -> str:
        word = match.group()
        variants = spelling_variants(word) + typo_fixes(word)
        if not variants or holds(word):
            return word
        return next((variant for variant in variants if holds(variant)), word)

    return re.sub(r"[A-Za-z]+", respelled, query)


class Bm25:
    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: dict[str, int],
                 count: int):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.vocab = vocab  # stemmed term -> column
        self.count = count  # chunks

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        import bm25s

        tokens = _tokenize(texts, SPEC["stopwords"], return_ids=True)
        if not tokens.vocab:  # no chunks, or not one word in them: bm25s cannot index that
            return cls(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), {}, len(texts))
        model = bm25s.BM25(method=SPEC["method"], k1=SPEC["k1"], b=SPEC["b"])
        model.index(tokens, show_progress=False)
        columns = len(model.scores["indptr"]) - 1
        # bm25s adds an empty term past the last column, for empty queries; ours never ask for it
        vocab = {term: column for term, column in model.vocab_dict.items() if column < columns}
        return cls(model.scores["data"], model.scores["indices"], model.scores["indptr"], vocab, len(texts))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"data": self.data, "indices": self.indices, "indptr": self.indptr}

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (stop words dropped, words stemmed)."""
        scores = np.zeros(self.count, dtype=np.float32)
        for column in self._columns(query, SPEC["stopwords"]):
            start, end = self.indptr[column], self.indptr[column + 1]
            scores[self.indices[start:end]] += self.data[start:end]  # a chunk appears once per column
        return scores

    def holds(self, word: str) -> bool:
        """Whether any chunk holds the word, as stemmed (stop words too: none is indexed, so they are not held)."""
        return all(token in self.vocab for token in _tokenize([word], [])[0])

    def _columns(self, text: str, stopwords) -> list[int]:
        return [self.vocab[token] for token in _tokenize([text], stopwords)[0] if token in self.vocab]


def problem(arrays: dict[str, np.ndarray], vocab, count: int) -> tuple[str, str] | None:
    """(part, reason) for the first part of a saved index ("data", "indices", "indptr", "vocab") that cannot be
    the index of `count` chunks; None when all agree. Checks what would otherwise fail or read out of bounds at
    a question; the scores themselves are data, like the vectors."""
    data, indices, indptr = (arrays[name] for name in ARRAYS)
    if data.dtype != np.float32 or data.ndim != 1:
        return "data", f"holds {data.dtype} {data.shape}, expected a float32 vector"
    if indices.dtype.kind != "i" or indices.shape != data.shape:
        return "indices", f"holds {indices.dtype} {indices.shape}, expected integers {data.shape}"
    if len(indices) and not (indices.min() >= 0 and indices.max() < count):
        return "indices", f"names chunks outside 0-{count - 1}"
    if indptr.dtype.kind != "i" or indptr.ndim != 1 or not len(indptr):
        return "indptr", f"holds {indptr.dtype} {indptr.shape}, expected a vector of integers"
    if indptr[0] != 0 or indptr[-1] != len(data) or np.any(np.diff(indptr) < 0):
        return "indptr", f"does not span the {len(data)} scores in order"
    if not isinstance(vocab, dict):
        return "vocab", "not a JSON object"
    columns = len(indptr) - 1
    if not all(type(column) is int and 0 <= column < columns for column in vocab.values()):
        return "vocab", f"maps a term to something other than a column 0-{columns - 1}"
    return None


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)  # answers compare the words of every candidate sentence: the same words come back
def stem(word: str) -> str:
    """A lower-case word's stem as this index reads it ("compiler" and "compile" are "compil")."""
    return _english_stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _english_stemmer():
    return _stemmer()


def terms(texts: list[str], stopwords=SPEC["stopwords"]) -> list[list[str]]:
    """Each text's terms as this index reads them (stop words dropped, words stemmed): what a store that runs BM25
    itself (index/milvus_store.py) is given, so that it scores the same terms."""
    return _tokenize(texts, stopwords) if texts else []


def _tokenize(texts: list[str], stopwords, return_ids: bool = False):
    """bm25s's tokens of the texts, one-letter options spelt as terms; with `return_ids`, bm25s's Tokenized (ids and
    vocabulary, what an index is built from), else each text's stemmed terms."""
    import bm25s

    return bm25s.tokenize([_readable(text) for text in texts], stopwords=stopwords, stemmer=_stemmer(),
                          show_progress=False, return_ids=return_ids)
