"""Run a binary classifier exported to ONNX with onnxruntime (CPU only, no scikit-learn).

The model must have exactly one input, a float tensor of shape ``(n, n_features)``, and an output
with the class probabilities: a tensor of shape ``(n, 2)`` (class 0 and class 1, as skl2onnx writes
with ``zipmap=False``), ``(n, 1)`` or ``(n,)`` (probability of class 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from bedside.domain import ModelError

__all__ = ["OnnxModel"]

FloatArray = npt.NDArray[np.float64]

_DTYPES: dict[str, type[np.floating]] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
}


class OnnxModel:
    """A loaded ONNX binary classifier.

    Use `OnnxModel.load` rather than the constructor.

    Attributes
    ----------
    input_name : str
        Name of the ONNX input tensor.
    n_features : int
        Number of input columns the model expects.
    output_name : str
        Name of the ONNX output holding the probabilities.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        input_name: str,
        n_features: int,
        input_dtype: type[np.floating],
        output_name: str,
        source: str,
    ) -> None:
        self._session = session
        self.input_name = input_name
        self.n_features = n_features
        self._input_dtype = input_dtype
        self.output_name = output_name
        self.source = source

    @classmethod
    def load(cls, model: Path | str | bytes, *, threads: int | None = 1) -> OnnxModel:
        """Load an ONNX model from a file path or from its bytes.

        Parameters
        ----------
        model : Path, str or bytes
            Path of a ``.onnx`` file, or the serialised model.
        threads : int or None
            Intra- and inter-op threads of onnxruntime; 1 (the default) suits a phone or a
            server handling many patients; None lets onnxruntime decide.

        Raises
        ------
        ModelError
            The file is missing or not a valid ONNX model, or its inputs/outputs do not fit.
        """
        if isinstance(model, bytes):
            data, source = model, "<bytes>"
        else:
            path = Path(model)
            source = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ModelError(f"{source}: cannot read ONNX model ({exc})") from exc
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = threads
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped exception classes
            raise ModelError(f"{source}: not a valid ONNX model ({exc})") from exc
        inputs = session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(f"{source}: expected one input tensor, found {len(inputs)}")
        inp = inputs[0]
        dtype = _DTYPES.get(inp.type)
        if dtype is None:
            raise ModelError(f"{source}: input {inp.name!r} has type {inp.type}, expected float")
        shape = inp.shape
        if len(shape) != 2 or not isinstance(shape[1], int):
            raise ModelError(
                f"{source}: input {inp.name!r} must have shape (n, n_features), got {shape}"
            )
        output_name = _probability_output(session, source)
        return cls(session, inp.name, int(shape[1]), dtype, output_name, source)

    def predict_proba(self, X: npt.ArrayLike) -> FloatArray:
        """Probability of class 1 for each row.

        Parameters
        ----------
        X : array-like of float, shape (n, n_features)
            Columns in the order of the model's declared features; NaN is not allowed.

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.n_features:
            raise ModelError(
                f"{self.source}: input {self.input_name!r} expects shape (n, {self.n_features}), "
                f"got {arr.shape}"
            )
        if arr.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"{self.source}: input contains NaN or infinite values")
        feed = {self.input_name: np.ascontiguousarray(arr, dtype=self._input_dtype)}
        (out,) = self._session.run([self.output_name], feed)
        probs = np.asarray(out, dtype=np.float64)
        if probs.ndim == 2 and probs.shape[1] == 2:
            return np.ascontiguousarray(probs[:, 1])
        return probs.reshape(-1)


def _probability_output(session: ort.InferenceSession, source: str) -> str:
    """The name of the output carrying probabilities (a float tensor, not a label or zipmap)."""
    candidates = [
        o
        for o in session.get_outputs()
        if o.type in _DTYPES and (len(o.shape) == 1 or (len(o.shape) == 2 and o.shape[1] in (1, 2)))
    ]
    if not candidates:
        raise ModelError(
            f"{source}: no float probability output of shape (n, 2), (n, 1) or (n,); "
            "export classifiers with zipmap=False"
        )
    named = [o for o in candidates if "prob" in o.name.lower()]
    return str((named or candidates)[-1].name)
