"""The vocabulary stage: the taxonomy (load, validate, look up), decoding codes, normalizing TAGS lines, and the
taxonomy as a catalogue (search, statistics, SKOS and other exports). Nothing here imports scikit-learn."""
