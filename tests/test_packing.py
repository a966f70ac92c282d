"""Short texts packed several to a sequence (index/packing.py) get the vectors they get alone."""
import numpy as np
import pytest

from index.embedders import SentenceTransformerEmbedder
from index.packing import PACK_TOKENS, pack
from settings import DEFAULT_MODEL



def test_packing_puts_every_text_in_one_sequence_of_at_most_the_pack_length():
    lengths = [30, 12, 64, 64, 5, 40, 128, 90, 1]
    sequences = pack(lengths)
    assert sorted(i for sequence in sequences for i in sequence) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in sequence) <= PACK_TOKENS for sequence in sequences if len(sequence) > 1)
    assert len(sequences) < len(lengths)


@pytest.mark.slow
def test_packed_sentences_match_the_model_alone_and_long_texts_are_encoded_as_before():
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, device="cpu")
    sentences = [f"Sentence number {n} says something about the {word} in a few words." for n, word in
                 enumerate(["harbour", "budget", "election", "rules", "tables", "options"] * 12)]
    long = ["A long paragraph that keeps going. " * 20]
    texts = sentences + long
    packed = embedder.embed_documents(texts)
    alone = embedder._encode(texts)
    assert embedder._packing is True
    assert packed.dtype == np.float32 and np.allclose(np.linalg.norm(packed, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(packed * alone, axis=1)) > 0.9999
