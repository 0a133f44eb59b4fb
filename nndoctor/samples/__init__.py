"""Sample recipes and the small data sets they train on.

`digits_mlp` is the recipe `nndoctor check` runs when no target is given: a healthy MLP on
scikit-learn's bundled digits, so a new user sees a real report at once. `datasets` builds the
train/validation loaders the samples under `sample_models/` share; nothing here downloads anything.
"""
