"""Redo a captured script's training step on any batch: which batch elements went into the model
and which one the loss compared with, found by identity or by value (reshaped, permuted, cast,
scaled, one-hot encoded), and how the prediction was changed before the loss. The capture
(`nndoctor.observe.capture`) builds the target's `forward(model, batch)` from these."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from nndoctor.batches import LABEL_KEYS, describe_shapes, output_loss, output_prediction
from nndoctor.errors import TargetError


class Feeder(Protocol):
    """A module the script called before the model (a frozen backbone): its last call."""

    any_args: tuple[Any, ...]
    any_output: Any
    any_grad: bool


_WHOLE = ("the whole batch",)  # a model input or target that is the batch itself (a bare tensor)


@dataclass(frozen=True)
class _Derived:
    """A model input or target that is a batch element reshaped, permuted or cast before the call
    (`images.view(-1, 784)`, `x.transpose(0, 1)`, `y.unsqueeze(1).float()`): how to redo it on any
    batch. `tail` is the shape after the batch dimension when the element was reshaped."""

    key: Any
    dtype: torch.dtype
    perm: tuple[int, ...] | None
    tail: tuple[int, ...] | None
    scale: float = 1.0  # and scaled: `x / 255`, `(x - mean) / std` with scalar statistics
    shift: float = 0.0
    one_hot: int = 0  # class labels one-hot encoded first (`F.one_hot(y, 10).float()`): the classes

    def apply(self, element: torch.Tensor) -> torch.Tensor:
        if self.one_hot:
            element = torch.nn.functional.one_hot(element.long(), self.one_hot)
        out = element.to(self.dtype)
        if self.perm is not None:
            out = out.permute(self.perm)
        if self.tail is not None:
            out = out.reshape(-1, *self.tail)
        if self.scale != 1.0 or self.shift != 0.0:
            out = out * self.scale + self.shift
        return out


MAX_DERIVED_DIMS = 4  # permutations tried up to this many dimensions (24)


def _derived(arg: torch.Tensor, key: Any, element: torch.Tensor) -> _Derived | None:
    """How `arg` was made from a batch element, when it holds the same values in another shape,
    order of dimensions or dtype; None otherwise (a slice, a scaling, anything computed)."""
    if (
        not element.is_floating_point()
        and not element.is_complex()
        and element.dim() >= 1
        and arg.dim() == element.dim() + 1
        and arg.shape[:-1] == element.shape
    ):
        classes = int(arg.shape[-1])
        labels = element.detach().to(arg.device)
        if classes > 1 and bool(((labels >= 0) & (labels < classes)).all()):
            encoded = torch.nn.functional.one_hot(labels.long(), classes).to(arg.dtype)
            if torch.equal(encoded, arg.detach()):
                return _Derived(key, arg.dtype, None, None, one_hot=classes)
    if element.numel() != arg.numel() or element.dim() == 0 or arg.dim() == 0 or element.is_complex():
        return None
    perms: list[tuple[int, ...] | None] = [None]
    if element.dim() <= MAX_DERIVED_DIMS:
        perms += [p for p in itertools.permutations(range(element.dim())) if list(p) != sorted(p)]
    target = arg.detach()
    cast = element.detach().to(device=target.device, dtype=target.dtype)
    wide = element.detach().to(target.device).double() if target.is_floating_point() else None
    for perm in perms:
        moved = cast.permute(perm) if perm is not None else cast
        # a reshape keeps the samples' order: it is redone as (-1, *the rest), which also flattens
        # leading dimensions (`logits.view(-1, vocab)`) for any batch size
        tail = None if moved.shape == target.shape else tuple(target.shape[1:])
        if torch.equal(moved.reshape(target.shape), target):
            if perm is None and tail is None and arg.dtype == element.dtype:
                return None  # a copy (`x.clone()`, `x.to(device)`): the key itself is the spec
            return _Derived(key, arg.dtype, perm, tail)
        if wide is not None:
            fitted = _affine(wide, perm, target)
            if fitted is not None:
                return _Derived(key, arg.dtype, perm, tail, *fitted)
    return None


# what scripts apply to the model's output between the model and the loss (a sigmoid before
# nn.BCELoss; a softmax before nn.CrossEntropyLoss is ND103's bug, and must reach it)
_OUTPUT_FUNCTIONS: tuple[tuple[str, Callable[[torch.Tensor], torch.Tensor]], ...] = (
    ("sigmoid", torch.sigmoid),
    ("softmax", lambda t: torch.softmax(t, dim=-1)),
    ("softmax over dim 1", lambda t: torch.softmax(t, dim=1)),
    ("log_softmax", lambda t: torch.log_softmax(t, dim=-1)),
    ("log_softmax over dim 1", lambda t: torch.log_softmax(t, dim=1)),
    ("tanh", torch.tanh),
)


@dataclass(frozen=True)
class _OutputChange:
    """A function of the prediction (from _OUTPUT_FUNCTIONS) and/or a reshape after it."""

    function: Callable[[torch.Tensor], torch.Tensor] | None
    derived: _Derived | None

    def apply(self, prediction: torch.Tensor) -> torch.Tensor:
        out = self.function(prediction) if self.function is not None else prediction
        return self.derived.apply(out) if self.derived is not None else out


def _prediction_change(prediction: torch.Tensor, loss_input: torch.Tensor) -> _OutputChange | None:
    """How the loss's input was made from the model's prediction: reshaped (`.squeeze(1)`,
    `.view(-1, vocab)`), passed through a sigmoid/softmax/log_softmax/tanh, or both; None when it
    is the prediction itself or cannot be told."""
    derived = _derived(loss_input, None, prediction)
    if derived is not None:
        return _OutputChange(None, derived)
    if not prediction.is_floating_point() or prediction.dim() == 0:
        return None
    target = loss_input.detach()
    for _, function in _OUTPUT_FUNCTIONS:
        try:
            applied = function(prediction.detach())
        except (RuntimeError, IndexError):
            continue
        if applied.shape == target.shape:
            if torch.allclose(applied.to(target.dtype), target, rtol=1e-5, atol=1e-7):
                return _OutputChange(function, None)
            continue
        derived = _derived(target, None, applied)
        if derived is not None and derived.scale == 1.0 and derived.shift == 0.0:
            return _OutputChange(function, derived)
    return None


def _affine(element: torch.Tensor, perm: tuple[int, ...] | None, target: torch.Tensor) -> tuple[float, float] | None:
    """(scale, shift) with target == element * scale + shift to float32 rounding, or None."""
    e = (element.permute(perm) if perm is not None else element).reshape(-1)
    t = target.double().reshape(-1)
    centred = e - e.mean()
    spread = centred.pow(2).sum()
    if e.numel() < 2 or not torch.isfinite(spread) or spread == 0:
        return None
    scale = float((centred * (t - t.mean())).sum() / spread)
    shift = float(t.mean() - scale * e.mean())
    if scale == 0 or not math.isfinite(scale) or not math.isfinite(shift):
        return None
    error = (e * scale + shift - t).abs().max()
    if float(error) > 1e-5 * max(float(t.abs().max()), 1e-12):
        return None
    return scale, shift


@dataclass(frozen=True)
class _ZeroState:
    """A model input that was all zeros and no batch element: a recurrent net's initial hidden
    state (`model(x, model.init_hidden(batch_size))`, or the zeros a truncated-BPTT loop starts
    from). Redone as zeros whose `axis` takes the size of dimension `dim` of the model input
    `source` (the batch size), so a cut or resized batch still fits; a fixed shape when no
    dimension matched."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    axis: int | None = None
    source: Any = None
    dim: int = 0


def all_zeros(value: Any) -> bool:
    """A tensor that is no leaf being trained, or a tuple of them (an LSTM's (h, c)), holding only
    zeros: an initial recurrent state the replay redoes as zeros."""
    if isinstance(value, tuple) and value:
        return all(all_zeros(v) for v in value)
    return (
        isinstance(value, torch.Tensor)
        and not value.requires_grad
        and value.numel() > 0
        and not bool(value.detach().any())
    )


class _Tracer:
    """Where the values of one step came from in its batch: by identity (a batch element, or the
    batch itself), by value (a batch element reshaped, permuted, cast or scaled: a _Derived), as
    another module's output on a batch element (a frozen backbone), or as an initial zero state."""

    def __init__(self, batch: Any, feeders: Sequence[tuple[nn.Module, Feeder]]) -> None:
        self.batch = batch
        self.feeders = feeders
        if isinstance(batch, dict):
            self.keys: list[Any] = list(batch)
            self.items = [batch[k] for k in self.keys]
        elif isinstance(batch, (list, tuple)):
            self.keys = list(range(len(batch)))
            self.items = list(batch)
        else:
            self.keys, self.items = [], []
        self.traceable = isinstance(batch, (dict, list, tuple, torch.Tensor))

    def key_of(self, value: Any) -> Any:
        if value is self.batch:
            return _WHOLE
        return next((k for k, b in zip(self.keys, self.items, strict=True) if b is value), None)

    def derived_of(self, value: Any) -> Any:
        """A batch element reshaped, permuted, cast or copied into `value`: its key or a _Derived."""
        if not isinstance(value, torch.Tensor):
            return None
        batch = self.batch
        sources = (
            [(_WHOLE, batch)] if isinstance(batch, torch.Tensor) else list(zip(self.keys, self.items, strict=True))
        )
        for k, element in sources:
            if not isinstance(element, torch.Tensor):
                continue
            if (
                element.shape == value.shape
                and element.dtype == value.dtype
                and torch.equal(element.detach().to(value.device), value.detach())
            ):
                return k
            found = _derived(value, k, element)
            if found is not None:
                return found
        return None

    def spec_of(self, arg: Any) -> Any:
        """A batch key, a _Derived, or (module copy, its input's batch key, grad on); None: untraceable."""
        key = self.key_of(arg)
        if key is not None:
            return key
        if not isinstance(arg, torch.Tensor):
            return None
        feeder = next(((m, c) for m, c in self.feeders if c.any_output is arg and len(c.any_args) == 1), None)
        fed = self.key_of(feeder[1].any_args[0]) if feeder is not None else None
        if feeder is None or fed is None:
            return self.derived_of(arg)
        frozen = copy.deepcopy(feeder[0])
        if not feeder[1].any_grad:
            frozen.requires_grad_(False)
        return (frozen, fed, feeder[1].any_grad)

    def zero_state(self, arg: Any, reference: tuple[Any, torch.Tensor] | None) -> Any:
        """`arg` as a _ZeroState (or a tuple of them: an LSTM's (h, c)) when it is all zeros; the
        batch size is read from `reference`, the first traced model input (spec, value): its
        dimension 0, else 1 (a sequence-first [T, B] input), matched against arg's dimensions."""
        if not all_zeros(arg):
            return None
        if isinstance(arg, tuple):
            return ("zeros", tuple(self.zero_state(a, reference) for a in arg))
        shape = tuple(arg.shape)
        if reference is not None:
            spec, value = reference
            for dim in (0, 1):
                if dim < value.dim():
                    size = value.shape[dim]
                    axis = next((a for a, s in enumerate(shape) if s == size), None)
                    if axis is not None:
                        return _ZeroState(shape, arg.dtype, axis, spec, dim)
        return _ZeroState(shape, arg.dtype)

    def value(self, spec: Any, batch: Any) -> Any:
        if spec is _WHOLE:
            return batch
        if isinstance(spec, _Derived):
            return spec.apply(batch if spec.key is _WHOLE else batch[spec.key])
        if isinstance(spec, _ZeroState):
            shape = list(spec.shape)
            device = None
            if spec.axis is not None:
                source = self.value(spec.source, batch)
                shape[spec.axis] = source.shape[spec.dim]
                device = source.device
            return torch.zeros(shape, dtype=spec.dtype, device=device)
        if not isinstance(spec, tuple):
            return batch[spec]
        if spec[0] == "constant":
            return spec[1]
        if spec[0] == "zeros":
            return tuple(self.value(part, batch) for part in spec[1])
        module, key, grad = spec
        source = batch if key is _WHOLE else batch[key]
        module.to(source.device)
        with torch.set_grad_enabled(grad and torch.is_grad_enabled()):
            return module(source)

    def inputs(self, model_args: tuple[Any, ...]) -> list[Any] | None:
        """The specs of a model call's positional inputs; None when one cannot be traced."""
        specs: list[Any] = []
        reference: tuple[Any, torch.Tensor] | None = None
        for arg in model_args:
            if arg is None or isinstance(arg, (bool, int, float, str)):  # `model(x, site)`, `model(x, None)`
                specs.append(("constant", arg))
                continue
            spec = self.spec_of(arg)
            if spec is None:
                spec = self.zero_state(arg, reference)
            if spec is None:
                return None
            if reference is None and isinstance(arg, torch.Tensor) and not isinstance(spec, _ZeroState):
                reference = (spec, arg)
            specs.append(spec)
        return specs

    def release(self) -> None:
        """Drop the traced step's tensors: the replay needs only the specs."""
        self.batch, self.items, self.keys, self.feeders = None, [], [], ()

    def target_of(self, value: Any) -> Any:
        """A loss argument that is a batch element, by identity or by value; None otherwise."""
        key = self.key_of(value)
        return key if key is not None else self.derived_of(value)


def forward_from(
    model_args: tuple[Any, ...],
    batch: Any,
    loss_args: tuple[Any, ...] | None,
    feeders: Sequence[tuple[nn.Module, Feeder]],
    model_kwargs: dict[str, Any] | None = None,
    output: Any = None,
) -> Callable[[nn.Module, Any], tuple[Any, Any]] | None:
    """`forward(model, batch)` when the script feeds its batches otherwise than `model(batch[0])`
    against the target `batch[1]`: which batch elements went into the model (positionally or as
    keywords, `model(**batch)`) and which one the loss compared with are found by identity. A
    bare-tensor batch can be both the input and the target (an autoencoder). A model that
    returns its own loss (`output.loss`, HuggingFace style) is compared on its logits against the
    labels it was given. A model input that is the output of another module called on a batch
    element (a frozen backbone under no_grad feeding a trained head) becomes that module's call
    on a copy of it; an all-zero input that is no batch element (an RNN's initial hidden state)
    becomes zeros sized to the batch. None for the default, or when the inputs cannot be traced
    (a batch moved or transformed before the call)."""
    kwargs = model_kwargs or {}
    if not model_args and not kwargs:
        return None
    tracer = _Tracer(batch, feeders)
    if not tracer.traceable:
        return None
    inputs = tracer.inputs(model_args)
    if inputs is None:
        return None
    items = tracer.items

    def same_name(name: str, arg: Any) -> Any:
        """A keyword input copied from the dict batch's entry of that name (`{k: v.to(device) ...}`
        before `model(**batch)`): the entry, when its shape matches."""
        entry = batch.get(name) if isinstance(batch, dict) else None
        if isinstance(entry, torch.Tensor) and isinstance(arg, torch.Tensor) and entry.shape == arg.shape:
            return name
        return None

    keyword: dict[str, Any] = {}
    for name, arg in kwargs.items():
        if arg is None or isinstance(arg, (bool, int, float, str)):
            keyword[name] = ("constant", arg)
            continue
        spec = tracer.spec_of(arg)
        if spec is None:
            spec = same_name(name, arg)
        if spec is None:
            return None
        keyword[name] = spec
    own_loss = output_loss(output) is not None
    target = tracer.target_of(loss_args[1]) if loss_args and len(loss_args) >= 2 else None
    if target is None and own_loss:  # the model computed its loss from labels it was given
        for k in LABEL_KEYS:
            if kwargs.get(k) is not None:
                target = tracer.key_of(kwargs[k])
                target = same_name(k, kwargs[k]) if target is None else target
                break
    if target is None:
        return None
    # the element of a tuple output the loss read (`(logits, value) = model(x)`, a multi-task
    # head; `output, hidden = lstm_lm(x, hidden)` read as `output.view(-1, vocab)`)
    picked = None
    reshaped = None
    if not own_loss and loss_args and isinstance(output, (list, tuple)):
        picked = next((i for i, part in enumerate(output) if part is loss_args[0]), None)
        if picked is None and isinstance(loss_args[0], torch.Tensor):
            for i, part in enumerate(output):
                if isinstance(part, torch.Tensor) and part.is_floating_point():
                    reshaped = _prediction_change(part, loss_args[0])
                    if reshaped is not None:
                        picked = i
                        break
    # the prediction reshaped before the loss (`model(x).squeeze(1)`, `logits.view(-1, vocab)`)
    prediction = output[picked] if picked is not None else output
    if (
        reshaped is None
        and not own_loss
        and loss_args
        and isinstance(prediction, torch.Tensor)
        and isinstance(loss_args[0], torch.Tensor)
        and loss_args[0] is not prediction
    ):
        reshaped = _prediction_change(prediction, loss_args[0])
    # a language model's own loss over [batch, time, vocab] logits: per token, shifted for a causal LM
    layout = None
    if own_loss:
        given = next((kwargs[k] for k in LABEL_KEYS if isinstance(kwargs.get(k), torch.Tensor)), None)
        layout = _token_layout(output, given) if given is not None else None
    default = inputs == [0] and not keyword and target == 1 and len(items) == 2 and not isinstance(batch, dict)
    if default and not own_loss and picked is None and reshaped is None:
        return None

    def forward(model: nn.Module, batch: Any) -> tuple[Any, Any]:
        value = tracer.value
        out = model(
            *[value(spec, batch) for spec in inputs], **{name: value(spec, batch) for name, spec in keyword.items()}
        )
        prediction = out[picked] if picked is not None else output_prediction(out)
        if reshaped is not None:
            prediction = reshaped.apply(prediction)
        if layout is not None:
            return _per_token(prediction, value(target, batch), layout)
        return prediction, value(target, batch)

    tracer.release()
    return forward


class ArrangedLoss(nn.Module):
    """The script's loss called as it was in the step: on the outputs of several model calls (a
    siamese pair, a triplet) and the batch's targets, in the script's order, from the
    (outputs, targets) that `multi_call_forward` returns. `loss` is a loss module or function."""

    def __init__(self, loss: Any, arrangement: tuple[tuple[Any, ...], ...]) -> None:
        super().__init__()
        self.loss = loss
        self.arrangement = arrangement
        inner = type(loss).__name__ if isinstance(loss, nn.Module) else getattr(loss, "__name__", "loss")
        self.nndoctor_label = f"{inner} on {sum(1 for a in arrangement if a[0] == 'out')} model outputs"

    def forward(self, outputs: tuple[Any, ...], targets: Any) -> torch.Tensor:
        args = []
        for kind, *where in self.arrangement:
            if kind == "out":
                call, part = where
                out = outputs[call]
                args.append(out if part is None else out[part])
            elif kind == "target":
                args.append(targets[where[0]] if isinstance(targets, tuple) else targets)
            else:
                args.append(where[0])
        return self.loss(*args)


def multi_call_forward(
    calls: Sequence[tuple[tuple[Any, ...], Any]],
    batch: Any,
    loss_args: tuple[Any, ...],
    feeders: Sequence[tuple[nn.Module, Feeder]],
) -> tuple[Callable[[nn.Module, Any], tuple[Any, Any]], tuple[tuple[Any, ...], ...]] | None:
    """A step that calls the model more than once and hands the outputs to one loss (a siamese
    pair `loss(model(x1), model(x2), same)`, a triplet): `forward(model, batch)` redoes every call
    on its batch elements and returns (the outputs as a tuple, the loss's batch arguments); the
    arrangement tells `ArrangedLoss` where each loss argument comes from. `calls` are the
    model's (positional inputs, output) in the step's order. None when fewer than two of the
    outputs reach the loss, or an input or a loss argument cannot be traced to the batch."""
    tracer = _Tracer(batch, feeders)
    if not tracer.traceable or len(calls) < 2:
        return None
    arrangement: list[tuple[Any, ...]] = []
    targets: list[Any] = []
    used: set[int] = set()
    for arg in loss_args:
        found: tuple[Any, ...] | None = None
        for i, (_, output) in enumerate(calls):
            if arg is output:
                found = ("out", i, None)
            elif isinstance(output, (list, tuple)):
                part = next((k for k, piece in enumerate(output) if piece is arg), None)
                found = ("out", i, part) if part is not None else None
            if found is not None:
                used.add(i)
                break
        if found is None and isinstance(arg, torch.Tensor):
            spec = tracer.target_of(arg)
            if spec is None:
                return None
            found = ("target", len(targets))
            targets.append(spec)
        elif found is None:
            found = ("constant", arg)
        arrangement.append(found)
    if len(used) < 2:
        return None
    inputs = []
    for args, _ in calls:
        specs = tracer.inputs(args)
        if specs is None or not specs:
            return None
        inputs.append(specs)
    tracer.release()

    def forward(model: nn.Module, batch: Any) -> tuple[Any, Any]:
        value = tracer.value
        outputs = tuple(model(*[value(spec, batch) for spec in specs]) for specs in inputs)
        if not targets:  # the loss reads no target (a triplet loss): a placeholder the checks see unread
            first = value(inputs[0][0], batch)
            return outputs, torch.zeros(first.shape[0] if first.dim() else 1, device=first.device)
        if len(targets) == 1:
            return outputs, value(targets[0], batch)
        return outputs, tuple(value(spec, batch) for spec in targets)

    return forward, tuple(arrangement)


IGNORE_INDEX = -100  # the label HuggingFace models and nn.CrossEntropyLoss leave out of the loss


def _token_layout(output: Any, labels: torch.Tensor) -> str | None:
    """How a model's own loss compares [batch, time, vocab] logits with [batch, time] labels:
    "tokens" (position by position) or "shifted" (a causal LM: the logits at t predict label t+1),
    found by recomputing its loss both ways; None for any other layout."""
    logits, loss = output_prediction(output), output_loss(output)
    if not isinstance(logits, torch.Tensor) or loss is None or logits.dim() != 3 or labels.dim() != 2:
        return None
    if tuple(logits.shape[:2]) != tuple(labels.shape) or labels.is_floating_point():
        return None
    vocab = logits.shape[-1]
    with torch.no_grad():
        for layout in ("tokens", "shifted"):
            pred, tgt = (logits, labels) if layout == "tokens" else (logits[:, :-1], labels[:, 1:])
            ref = torch.nn.functional.cross_entropy(
                pred.reshape(-1, vocab).float(), tgt.reshape(-1).long(), ignore_index=IGNORE_INDEX
            )
            if math.isclose(float(ref), float(loss), rel_tol=1e-3, abs_tol=1e-5):
                return layout
    return None


def _per_token(logits: torch.Tensor, labels: torch.Tensor, layout: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels as one row per scored token, as the model's own loss reads them."""
    if layout == "shifted":
        logits, labels = logits[:, :-1], labels[:, 1:]
    flat_logits, flat_labels = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
    kept = flat_labels != IGNORE_INDEX
    return flat_logits[kept], flat_labels[kept]


def fed_as_is(model_args: tuple[Any, ...], batch: Any) -> bool:
    """The model's first input is the batch's first element (the same tensor or an equal copy)."""
    if not model_args or not isinstance(batch, (list, tuple)) or not batch:
        return True
    arg, first = model_args[0], batch[0]
    if arg is first or not isinstance(arg, torch.Tensor) or not isinstance(first, torch.Tensor):
        return True
    return arg.shape == first.shape and torch.equal(arg.detach().cpu(), first.detach().cpu().to(arg.dtype))


def as_is_forward(script: str, model: str) -> Callable[[nn.Module, Any], tuple[Any, Any]]:
    """The default forward (`model(batch[0])` against `batch[1]`) for a script that changes its
    batch before the call in a way that cannot be redone: when the model refuses the batch as it
    comes, the error says why, instead of blaming the model's input shape."""
    from nndoctor.context import default_forward

    def forward(model_: nn.Module, batch: Any) -> tuple[Any, Any]:
        try:
            return default_forward(model_, batch)
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(
                f"{script} changes its batch before calling {model} in a way nndoctor cannot redo (a slice, a "
                f"computed feature, ...), and {model} refuses the batch as the loader gives it "
                f"({describe_shapes(batch)}): {type(exc).__name__}: {exc}. Write a recipe (`nndoctor init`) "
                "whose forward(model, batch) does what the script does before the call."
            ) from exc

    return forward


def untraced_forward(script: str, model: str, batch: Any) -> Callable[[nn.Module, Any], tuple[Any, Any]]:
    """The forward of a capture whose model inputs are not elements of the batch (and the batch
    is no (inputs, targets) pair): it says so when the checks first call it."""
    message = (
        f"{script} calls {model} with inputs that are not elements of its training batch "
        f"({describe_shapes(batch)}): e.g. a GAN's generator fed noise, or a batch moved or reshaped "
        "before the call, so the captured model cannot be fed from the loader. Write a recipe "
        "(`nndoctor init`) whose forward(model, batch) returns (output, target) for one batch."
    )

    def forward(model: nn.Module, batch: Any) -> tuple[Any, Any]:
        raise TargetError(message)

    return forward
