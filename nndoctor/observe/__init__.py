"""Observing an unmodified training script: global hooks (`hooks`), running it (`runner`), the
capture at the first optimizer step (`capture`) and the watched run (`watcher`).

Importing this package does not import torch; its modules do.
"""
