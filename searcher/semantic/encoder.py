"""A sentence encoder in numpy: a BERT-style sentence-transformers model, without torch.

The model is a sentence-transformers folder (config.json, tokenizer.json,
model.safetensors; mean pooling, then normalised): all-MiniLM-L6-v2 by default. The
forward pass is a dozen numpy operations a layer over the safetensors weights, read
without the safetensors package (an 8-byte length, a JSON header, the raw arrays);
`tokenizers` (Rust, no torch) cuts the text into word pieces. Measured against
onnxruntime's need for an ONNX graph (which only torch makes), this is the runtime
that installs anywhere numpy does: the `[semantic]` extra is `tokenizers` (and
threadpoolctl, which keeps an index run's workers to one BLAS thread each).
"""

from __future__ import annotations

import functools
import json
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..config import MODEL_FILES
from ..errors import ConfigError, install_hint
from ..paths import display_path

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


@dataclass(frozen=True)
class Window:
    """A piece of an article's text that is embedded as one: its characters [start, end)."""

    start: int
    end: int


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a .safetensors file (read-only views of its bytes)."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    arrays = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"{name}: dtype {meta['dtype']} is not supported")
        start, end = meta["data_offsets"]
        count = (end - start) // np.dtype(dtype).itemsize
        arrays[name] = np.frombuffer(raw, dtype=dtype, count=count, offset=8 + length + start).reshape(meta["shape"])
    return arrays


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf by Abramowitz and Stegun 7.1.26 (error
    below 1.5e-7, under float32's own rounding here): numpy has no erf. Written in
    place, as relu(x) - |x| * q with q = (1 - erf(|x| / sqrt 2)) / 2: the temporaries
    of the plain formula made it a quarter of the encoder's time."""
    z = np.abs(x)
    z *= np.float32(1 / math.sqrt(2))
    t = z * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    q = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        q += np.float32(c)
        q *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    q *= z
    q *= np.float32(0.5)  # q = (1 - erf(|x| / sqrt 2)) / 2
    np.abs(x, out=z)
    q *= z
    np.maximum(x, 0, out=z)
    z -= q
    return z


class Encoder:
    """Embeds texts as unit vectors (`dimensions` floats) with a sentence-transformers model."""

    #: Word pieces a window holds (with [CLS] and [SEP]: 202, under the model's 256).
    WINDOW_TOKENS = 200

    def __init__(self, folder: Path) -> None:
        import importlib.util

        for module in ("tokenizers", "threadpoolctl"):  # (threadpoolctl: see one_thread)
            if importlib.util.find_spec(module) is None:
                raise ConfigError(f"semantic ranking needs the semantic extra ({module} is not installed)",
                                  hint=install_hint("semantic"))
        from tokenizers import Tokenizer
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise ConfigError(f"semantic: model: {display_path(folder)} is not a sentence-transformers model folder "
                              f"(no {', '.join(missing)})")
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            self.dimensions = int(config["hidden_size"])
            self._heads = int(config["num_attention_heads"])
            self._layers = int(config["num_hidden_layers"])
            self._eps = float(config.get("layer_norm_eps", 1e-12))
            self._max_positions = int(config.get("max_position_embeddings", 512))
            weights = read_safetensors(folder / "model.safetensors")
            self._weights = self._prepare({name.removeprefix("bert."): value for name, value in weights.items()})
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (OSError, ValueError, KeyError, struct.error) as error:
            raise ConfigError(f"semantic: model: can't load {display_path(folder)}: {error}") from None
        self._limits: Any = None  # see one_thread
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self._cls = self.tokenizer.token_to_id("[CLS]")
        self._sep = self.tokenizer.token_to_id("[SEP]")
        if self._cls is None or self._sep is None:
            raise ConfigError(f"semantic: model: {display_path(folder)}: its tokenizer has no [CLS] and [SEP] "
                              "(a BERT-style model is needed)")

    def _prepare(self, w: dict[str, np.ndarray]) -> dict[str, Any]:
        """The weights as the forward pass uses them: float32, the matrices transposed
        once (x @ W), and the query, key and value projections as one matrix."""
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        prepared: dict[str, Any] = {
            "words": get("embeddings.word_embeddings.weight"),
            "positions": get("embeddings.position_embeddings.weight"),
            "types": get("embeddings.token_type_embeddings.weight"),
            "norm": (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias")),
            "layers": [],
        }
        for i in range(self._layers):
            p = f"encoder.layer.{i}."
            attention = p + "attention.self."
            prepared["layers"].append((
                np.ascontiguousarray(np.concatenate([get(attention + n + ".weight") for n in ("query", "key", "value")]).T),
                np.concatenate([get(attention + n + ".bias") for n in ("query", "key", "value")]),
                np.ascontiguousarray(get(p + "attention.output.dense.weight").T), get(p + "attention.output.dense.bias"),
                (get(p + "attention.output.LayerNorm.weight"), get(p + "attention.output.LayerNorm.bias")),
                np.ascontiguousarray(get(p + "intermediate.dense.weight").T), get(p + "intermediate.dense.bias"),
                np.ascontiguousarray(get(p + "output.dense.weight").T), get(p + "output.dense.bias"),
                (get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
            ))
        return prepared

    def one_thread(self) -> None:
        """Keep this process's BLAS to one thread from now on: for a process of ours that
        runs beside others, one a core (an index run's worker). Measured here: two
        workers embedding with OpenBLAS's default threads took 585 ms a window, with
        one thread each 77 ms."""
        if self._limits is None:
            from threadpoolctl import threadpool_limits

            self._limits = threadpool_limits(limits=1, user_api="blas")

    # -- texts and windows -----------------------------------------------------------

    def windows(self, text: str) -> tuple[list[Window], list[list[int]]]:
        """The text cut into windows of WINDOW_TOKENS word pieces (the last one shorter),
        and each window's token ids: an article is scored by its best window."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        ids, offsets = encoding.ids, encoding.offsets
        windows, pieces = [], []
        for first in range(0, len(ids), self.WINDOW_TOKENS):
            last = min(first + self.WINDOW_TOKENS, len(ids)) - 1
            windows.append(Window(offsets[first][0], offsets[last][1]))
            pieces.append(ids[first:last + 1])
        return windows, pieces

    #: Windows embedded at once: a window's attention scores alone are 2 MB.
    BATCH = 32

    def embed_article(self, text: str) -> np.ndarray:
        """One unit vector a window of `text` (windows() cuts it), as rows.

        With one BLAS thread, whatever the process (_forward): OpenBLAS's sums come out
        different in their last bits with two threads than with one (on this machine's
        AMD EPYC, every article), so an article embedded by a worker (one thread a core)
        and by an index run of a few articles (all the threads) had other vectors, and a
        sharded index no longer fused as one index. One thread costs a run of fewer than
        PARALLEL_MIN_EMBEDDED articles, the only one embedding in its own process, 17%."""
        _, pieces = self.windows(text)
        if not pieces:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.concatenate([self._forward(pieces[first:first + self.BATCH])
                               for first in range(0, len(pieces), self.BATCH)])

    def embed_query(self, text: str) -> np.ndarray:
        """The unit vector of a query (its first window: a query is short).

        With one BLAS thread, for the call only (_forward): a query's matrices are too
        small for threads to pay, and on a busy machine (an index run beside a search)
        OpenBLAS's threads waited on each other: 57-108 ms a query, against 12-15 ms with one."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids[:self.WINDOW_TOKENS]
        return self._forward([ids])[0]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector a text (each cut to its first window), as rows."""
        return self._forward([self.tokenizer.encode(text, add_special_tokens=False).ids[:self.WINDOW_TOKENS]
                              for text in texts])

    # -- the forward pass ------------------------------------------------------------

    def _forward(self, pieces: list[list[int]]) -> np.ndarray:
        """The mean-pooled, normalised last layer of [CLS] + each piece + [SEP], with one
        BLAS thread for the call: every vector is summed alike, in any process (see
        embed_article and embed_query)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward_pass(pieces)

    def _forward_pass(self, pieces: list[list[int]]) -> np.ndarray:
        longest = min(max(len(piece) for piece in pieces) + 2, self._max_positions)
        batch = len(pieces)
        ids = np.zeros((batch, longest), dtype=np.int64)
        mask = np.zeros((batch, longest), dtype=np.float32)
        for row, piece in enumerate(pieces):
            tokens = [self._cls, *piece[:longest - 2], self._sep]
            ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1
        w = self._weights
        x = w["words"][ids] + w["positions"][:longest][None] + w["types"][0]
        x = _layer_norm(x, *w["norm"], self._eps)
        heads, size = self._heads, self.dimensions // self._heads
        # Padding is left out of attention by a large negative score (batches of one need none).
        padding = None if mask.all() else ((1 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1 / math.sqrt(size))
        for qkv_w, qkv_b, out_w, out_b, norm1, up_w, up_b, down_w, down_b, norm2 in w["layers"]:
            qkv = x @ qkv_w + qkv_b
            q, k, v = (part.reshape(batch, longest, heads, size).transpose(0, 2, 1, 3)
                       for part in np.split(qkv, 3, axis=-1))
            scores = (q * scale) @ k.transpose(0, 1, 3, 2)
            if padding is not None:
                scores += padding
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, longest, heads * size)
            x = _layer_norm(context @ out_w + out_b + x, *norm1, self._eps)
            x = _layer_norm(_gelu(x @ up_w + up_b) @ down_w + down_b + x, *norm2, self._eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


_SYNTAX = re.compile(r'(?:^|\s)-\S+|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|\b\w+:(?=\S)|[()"+*?~^\[\]{}]')


def query_text(query: str) -> str:
    """What is embedded of a query: its words, without the query language (field names,
    operators, quotes, and the words it leaves out with -)."""
    return " ".join(_SYNTAX.sub(" ", query).split()) or query


@functools.lru_cache(maxsize=2)
def encoder(folder: str) -> Encoder:
    """The encoder of a model folder, loaded once a process (90 MB of weights)."""
    return Encoder(Path(folder))
