"""scikit-learn's estimator conventions, without importing scikit-learn to follow them.

The ranker and the learned model look like scikit-learn estimators: parameters
only in the constructor, ``get_params``/``set_params`` (so ``sklearn.clone``
works), fitted state in attributes ending in ``_``, and ``NotFittedError`` before
``fit``. Inheriting ``sklearn.base.BaseEstimator`` gave that for the price of
importing scikit-learn, SciPy's statistics and pandas: over a second of CPU in
every process, while a cold ``matchmaker match`` has half a second (issue 14)
and never fits anything. :class:`Estimator` gives the same conventions, and
scikit-learn is imported only on the error path (its ``NotFittedError``, which
callers catch) or where something is fitted.
"""

from __future__ import annotations

import inspect
from typing import Any


class Estimator:
    """Base class: ``get_params``, ``set_params`` and a readable repr, from ``__init__``."""

    @classmethod
    def _param_names(cls) -> list[str]:
        """The constructor's named parameters (as scikit-learn's ``_get_param_names``)."""
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters by name; with ``deep``, those of nested estimators as ``name__param``."""
        params: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params: Any) -> Estimator:
        """Set parameters by name; an unknown name is a ValueError, as in scikit-learn."""
        valid = set(self._param_names())
        for key, value in params.items():
            name, _, nested = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for estimator {self!r}")
            if nested:
                getattr(self, name).set_params(**{nested: value})
            else:
                setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """Class name and the parameters that differ from their defaults, as scikit-learn prints."""
        signature = inspect.signature(type(self).__init__)
        shown = [
            f"{name}={getattr(self, name)!r}"
            for name in self._param_names()
            if getattr(self, name) is not signature.parameters[name].default
            and getattr(self, name) != signature.parameters[name].default
        ]
        return f"{type(self).__name__}({', '.join(shown)})"


def not_fitted(message: str) -> Exception:
    """scikit-learn's ``NotFittedError`` (callers catch that one), imported only when raised."""
    from sklearn.exceptions import NotFittedError

    return NotFittedError(message)


def check_fitted(estimator: object, attribute: str) -> None:
    """Raise ``NotFittedError`` (scikit-learn's wording) unless ``attribute`` is set."""
    if not hasattr(estimator, attribute):
        raise not_fitted(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )
