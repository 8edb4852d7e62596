"""The frame stage: the schema contract and the collection that turns sources into it."""
