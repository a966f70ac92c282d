"""Embedding, the FAISS store on disk, building it from sources, and searching it."""
