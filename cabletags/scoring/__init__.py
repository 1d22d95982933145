"""The scoring stage: the training corpus, features, the tag model and its storage, calibration and selection,
training, evaluation, and the Suggester that ranks tags for a text or a whole cable."""
