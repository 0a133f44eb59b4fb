"""Sample recipes and the small data sets they train on.

`digits_mlp` is the recipe `nndoctor check` runs when no target is given (and no
`[tool.nndoctor]` target is configured): a healthy MLP on the 8x8 digits, so a new user sees a real
report at once. `datasets` builds the train/validation loaders the samples under `sample_models/`
share from the files in `data/`; nothing here downloads anything or needs scikit-learn.
"""
