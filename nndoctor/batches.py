"""Walking the structure of a batch: nested tuples, lists, dicts and namedtuples of tensors.

Batches come in whatever shape the user's loader produces; these helpers move them, describe
them for error messages, slice samples out of them and find the tensors inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

Batch = Any


def map_tensors(obj: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """Apply `fn` to every tensor inside nested tuples/lists/dicts/namedtuples, in order."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(map_tensors(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(v, fn) for v in obj)
    return obj


def integer_tensors(obj: Any) -> list[torch.Tensor]:
    """Every integer (or bool) tensor inside `obj`, in order: token ids and class labels."""
    found: list[torch.Tensor] = []
    map_tensors(obj, lambda t: found.append(t) if not t.is_floating_point() else None)
    return found


def marked_inside_rows(marked: torch.Tensor) -> bool:
    """In at least half of the rows (the last dimension) that hold a marked position, one lies
    between unmarked ones: a value used inside the sequences, not padding at their ends."""
    rows = marked.reshape(-1, marked.shape[-1])
    unmarked = ~rows
    before = unmarked.int().cumsum(1) > 0  # an unmarked position earlier in the row
    after = unmarked.flip(1).int().cumsum(1).flip(1) > 0  # and one later
    inside = (rows & before & after).any(1)
    return float(inside.float().sum()) >= 0.5 * float(rows.any(1).float().sum())


def move_to(obj: Any, device: torch.device) -> Any:
    """Move tensors inside nested tuples/lists/dicts to `device`."""
    return map_tensors(obj, lambda t: t.to(device, non_blocking=True))


def describe_shapes(obj: Any) -> str:
    """A short description of what is inside a batch, for error messages."""
    if isinstance(obj, torch.Tensor):
        return f"Tensor{list(obj.shape)} {str(obj.dtype).replace('torch.', '')}"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {describe_shapes(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(describe_shapes(v) for v in obj)
        return f"({inner})" if isinstance(obj, tuple) else f"[{inner}]"
    return type(obj).__name__


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor found in a nested structure (model inputs are often tuples or dicts)."""
    if isinstance(obj, torch.Tensor):
        return obj
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else []
    for value in values:
        found = first_tensor(value)
        if found is not None:
            return found
    return None


def batch_size_of(batch: Batch) -> int | None:
    tensor = first_tensor(batch[0] if isinstance(batch, (list, tuple)) and batch else batch)
    return int(tensor.shape[0]) if tensor is not None and tensor.dim() > 0 else None


def pair_target(batch: Batch) -> torch.Tensor | None:
    """The targets of an (inputs, targets) batch, when the batch is such a pair."""
    if isinstance(batch, (list, tuple)) and len(batch) == 2 and isinstance(batch[1], torch.Tensor):
        return batch[1]
    return None


def sample_count(batch: Batch) -> int:
    """Samples in a batch: the targets' length for (inputs, targets) pairs, else the first tensor's."""
    target = pair_target(batch)
    if target is not None and target.dim():
        return int(target.shape[0])
    return batch_size_of(batch) or 0


def slice_samples(obj: Any, size: int, k: int) -> Any:
    """The first `k` samples of every batch-sized tensor in a batch."""
    return map_tensors(obj, lambda t: t[:k] if t.dim() > 0 and t.shape[0] == size else t)


def concat(parts: list[Any]) -> Any:
    """Join batches of the same structure along the sample dimension."""
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts) if first.dim() > 0 else first
    if isinstance(first, dict):
        return {key: concat([p[key] for p in parts]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(concat(list(vals)) for vals in zip(*parts, strict=True)))
    if isinstance(first, (list, tuple)):
        return type(first)(concat(list(vals)) for vals in zip(*parts, strict=True))
    return first


def take_samples(batches: Sequence[Batch], n: int) -> Batch:
    """The first `n` samples of the training data as one batch (tensors sliced along dim 0)."""
    chosen: list[Batch] = []
    have = 0
    for batch in batches:
        size = batch_size_of(batch)
        target = pair_target(batch)
        if size is None or (target is not None and target.dim() and target.shape[0] != size):
            return batches[0]  # no clear sample dimension (e.g. sequence-first inputs): one whole batch
        chosen.append(slice_samples(batch, size, min(size, n - have)))
        have += min(size, n - have)
        if have >= n:
            break
    if len(chosen) == 1:
        return chosen[0]
    return concat(chosen)


class TrainStream:
    """The user's training loader, iterated lazily as training would: fresh batches across the epoch,
    a new epoch (re-iterating the loader) only when one is exhausted.

    The loader's shuffling generators are seeded with `seed` when the stream opens, so two streams
    with the same seed yield the same batches, and put back as they were by `close()`: the user's
    next epoch is shuffled as if nndoctor never looked. A loader that cannot be iterated again (a
    one-shot iterator, or one that yields nothing on a second pass) falls back to cycling
    `fallback`, the batches already taken from it.
    """

    def __init__(
        self, loader: Any, device: torch.device, seed: int, fallback: Sequence[Batch], generators: Sequence[Any] = ()
    ) -> None:
        from nndoctor.rng import GeneratorStates

        self.loader, self.device, self.fallback = loader, device, list(fallback)
        self.saved = GeneratorStates(generators)
        for generator in generators:
            generator.manual_seed(seed)
        self.epochs = 0  # completed passes over the loader
        self.taken = 0  # batches yielded
        self.cycling = loader is None or iter_is_self(loader)
        self._iterator: Any = None
        self._in_epoch = 0

    def __iter__(self) -> TrainStream:
        return self

    def __next__(self) -> Batch:
        if not self.cycling:
            for _ in range(2):
                if self._iterator is None:
                    self._iterator = loader_epoch(self.loader)
                    self._in_epoch = 0
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    empty = self._in_epoch == 0
                    self._iterator = None
                    self.epochs += 1
                    if empty:
                        break
                    continue
                self._in_epoch += 1
                self.taken += 1
                return move_to(batch, self.device)
            self.cycling = True  # the loader yields nothing more: cycle what was taken before
        batch = self.fallback[self.taken % len(self.fallback)]
        self.taken += 1
        return batch

    def take(self, n: int) -> list[Batch]:
        return [next(self) for _ in range(n)]

    def close(self) -> None:
        self._iterator = None
        self.saved.restore()

    def __enter__(self) -> TrainStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def loader_epoch(loader: Any) -> Iterator[Batch]:
    """One pass over `loader`: `iter(loader)`, or for a plain DataLoader over a TensorDataset the same
    batches gathered with one index per tensor instead of fetching and stacking sample by sample.

    The gather draws what `DataLoader.__iter__` draws, in the same order (the base seed from the
    loader's generator, then the batch sampler's own draws as it is iterated), and `t[indices]` holds
    the values `torch.stack([t[i] for i in indices])` does, so the batches and every RNG stream after
    them are the loader's own; it takes a batch of 64 in about 0.01 ms instead of 0.35 ms, a quarter of
    a small model's training step.
    """
    from torch.utils.data import DataLoader, TensorDataset, default_collate

    if not (
        type(loader) is DataLoader
        and type(loader.dataset) is TensorDataset
        and loader.num_workers == 0
        and not loader.pin_memory
        and loader.collate_fn is default_collate
        and loader.batch_sampler is not None
    ):
        return iter(loader)
    return _gathered_epoch(loader.batch_sampler, loader.dataset.tensors, loader.generator)


def _gathered_epoch(batch_sampler: Any, tensors: Sequence[torch.Tensor], generator: Any) -> Iterator[Batch]:
    indices_iter = iter(batch_sampler)
    torch.empty((), dtype=torch.int64).random_(generator=generator)  # the loader iterator's base seed
    return _gather(indices_iter, tensors)


def _gather(indices_iter: Iterator[Any], tensors: Sequence[torch.Tensor]) -> Iterator[Batch]:
    for indices in indices_iter:
        index = torch.as_tensor(indices, dtype=torch.long)
        yield [t[index] for t in tensors]


def iter_is_self(loader: Any) -> bool:
    """True for a one-shot iterator (a generator, `iter(list)`): iterating it again yields nothing new."""
    try:
        return iter(loader) is loader
    except TypeError:
        return True


LABEL_KEYS = ("labels", "label", "y", "target", "targets")


def _field(obj: Any, name: str) -> Any:
    """`obj[name]` for a mapping, `obj.name` for an output object (a dataclass, HF's ModelOutput)."""
    if isinstance(obj, dict):
        return obj.get(name)
    if isinstance(obj, (torch.Tensor, list, tuple, str, bytes)) or obj is None:
        return None
    return getattr(obj, name, None)


def output_loss(output: Any) -> torch.Tensor | None:
    """The loss a model returned with its output (HuggingFace convention): `output.loss`,
    `output["loss"]`, or a tuple whose first item is a 0-d floating tensor; else None."""
    loss = _field(output, "loss")
    if loss is None and isinstance(output, tuple) and len(output) >= 2 and not hasattr(output, "_fields"):
        loss = output[0]
    if isinstance(loss, torch.Tensor) and loss.ndim == 0 and loss.is_floating_point():
        return loss
    return None


def output_prediction(output: Any) -> Any:
    """What a model returning its own loss predicted (`logits`, else the first non-loss item);
    the output itself when it carries no loss."""
    if output_loss(output) is None:
        return output
    logits = _field(output, "logits")
    if logits is not None:
        return logits
    if isinstance(output, tuple):
        return output[1]
    if isinstance(output, dict):
        return next((v for k, v in output.items() if k != "loss" and isinstance(v, torch.Tensor)), output)
    return output


def batch_labels(batch: Batch) -> Any:
    """The labels of a training batch: the second item of an `(inputs, labels, ...)` tuple, or
    `batch[key]` of a dict batch for the usual keys (LABEL_KEYS); None otherwise."""
    if isinstance(batch, dict):
        return next((batch[k] for k in LABEL_KEYS if k in batch), None)
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return batch[-1] if len(batch) > 2 and isinstance(batch[-1], torch.Tensor) and batch[-1].ndim == 1 else batch[1]
    return None
