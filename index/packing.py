"""Short texts embedded several to a sequence: the sentences whose vectors ingest stores.

A sentence is about 30 tokens, and a transformer runs a batch of many short sequences at about half the speed per
token it reaches on chunk-length ones. Packing several sentences into one sequence, each attending only to its own
tokens and numbering its own positions from 0, gives each the vector it gets alone (cosine 0.99998 under bf16) at
about 1.8x the speed (docs/benchmarks.md). Only for models that mean-pool a BERT transformer's tokens (it takes
position ids and a per-token attention mask); any other model is encoded as it always is.
"""
from __future__ import annotations

import numpy as np

PACK_TOKENS = 128  # a packed sequence's length: longer ones spend more on attention than they save
SHORT_TOKENS = 64  # texts up to this many tokens are packed, two at least to a sequence
SEQUENCES_PER_BATCH = 16


def packable(model) -> bool:
    """Whether `model` (a SentenceTransformer) is a BERT transformer, mean pooling and optionally a normalisation."""
    try:
        names = [type(module).__name__ for module in model]
    except TypeError:  # not a pipeline of modules
        return False
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        return False
    mean = model[1].get_config_dict().get("pooling_mode") == "mean"
    return mean and getattr(model[0].auto_model.config, "model_type", "") == "bert"  # the one kind checked


def pack(lengths: list[int]) -> list[list[int]]:
    """Indices of the texts grouped into sequences of at most PACK_TOKENS tokens, shortest texts first."""
    sequences, current, used = [], [], 0
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if current and used + lengths[index] > PACK_TOKENS:
            sequences.append(current)
            current, used = [], 0
        current.append(index)
        used += lengths[index]
    return sequences + ([current] if current else [])


def embed_packed(model, token_ids: list[list[int]], device: str) -> np.ndarray:
    """Unit vectors of the tokenised texts (each with its special tokens), packed; float32."""
    import torch

    transformer = model[0].auto_model
    vectors = np.zeros((len(token_ids), transformer.config.hidden_size), dtype=np.float32)
    sequences = pack([len(ids) for ids in token_ids])
    for start in range(0, len(sequences), SEQUENCES_PER_BATCH):
        batch = sequences[start:start + SEQUENCES_PER_BATCH]
        inputs, places = _packed_inputs(batch, token_ids, device)
        with torch.inference_mode():
            hidden = transformer(**inputs).last_hidden_state.float()
        for index, row, offset, length in places:
            vectors[index] = hidden[row, offset:offset + length].mean(0).cpu().numpy()
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _packed_inputs(batch: list[list[int]], token_ids: list[list[int]], device: str):
    """The model's inputs for a batch of packed sequences, and where each text sits: (index, row, offset, length).
    Each text's tokens attend to each other only; padding attends to itself, so no row of the mask is empty."""
    import torch

    width = max(sum(len(token_ids[i]) for i in sequence) for sequence in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    positions = torch.zeros_like(ids)
    mask = torch.eye(width, dtype=torch.bool).repeat(len(batch), 1, 1, 1)
    places = []
    for row, sequence in enumerate(batch):
        offset = 0
        for index in sequence:
            length = len(token_ids[index])
            ids[row, offset:offset + length] = torch.tensor(token_ids[index])
            positions[row, offset:offset + length] = torch.arange(length)
            mask[row, 0, offset:offset + length, offset:offset + length] = True
            places.append((index, row, offset, length))
            offset += length
    inputs = {"input_ids": ids, "position_ids": positions, "token_type_ids": torch.zeros_like(ids),
              "attention_mask": mask}
    return {name: tensor.to(device) for name, tensor in inputs.items()}, places
