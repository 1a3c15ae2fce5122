"""Putting `Module.__call__` inputs in a dict and picking its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors


def check_no_sentinel(sentinel: Any) -> None:
    """Refuses a second positional argument to a module call (upstream's `_sentinel`).

    Raises:
        tfhub.errors.SignatureInputError: if `sentinel` is not None.
    """
    if sentinel is not None:
        raise errors.SignatureInputError(
            "Pass signature= and as_dict= by name. "
            f"Received: a second positional argument {sentinel!r}"
        )


def prepare_dict_inputs(
    inputs: Any, info_map: Mapping[str, Any], signature: str = "default"
) -> dict[str, Any]:
    """Puts `inputs` in a dict keyed like the signature's inputs.

    Raises:
        tfhub.errors.SignatureInputError: if keys are missing or extra (names the expected keys).
    """
    expected = sorted(info_map)
    if inputs is None:
        dict_inputs: dict[str, Any] = {}
    elif isinstance(inputs, dict):
        dict_inputs = inputs
    elif len(info_map) == 1:
        dict_inputs = {expected[0]: inputs}
    elif not info_map:
        raise errors.SignatureInputError(
            f"Signature expects no inputs. (Signature {signature!r}.) Received: inputs={inputs!r}"
        )
    else:
        raise errors.SignatureInputError(
            f"Signature expects multiple inputs. Use a dict. (Signature {signature!r} expects "
            f"the keys {expected}.) Received: inputs of type {type(inputs).__name__}"
        )
    given = set(dict_inputs)
    if given != set(info_map):
        raise errors.SignatureInputError(
            f"Cannot convert dict_inputs: missing {sorted(set(info_map) - given)!r}, extra given "
            f"{sorted(given - set(info_map))!r}. Signature {signature!r} expects exactly the "
            f"input keys {expected}. Received: keys={sorted(given)}"
        )
    return dict_inputs


def prepare_outputs(
    dict_outputs: dict[str, Any], as_dict: bool | None, signature: str = "default"
) -> Any:
    """Returns all outputs (`as_dict=True`) or the output named "default".

    Raises:
        tfhub.errors.NoDefaultOutputError: (a TypeError, as upstream) if there is no "default"
            output and not as_dict.
    """
    if as_dict:
        return dict_outputs
    if "default" in dict_outputs:
        return dict_outputs["default"]
    raise errors.NoDefaultOutputError(
        "There is no output named 'default'. Use as_dict=True. (Signature "
        f"{signature!r} has the outputs {sorted(dict_outputs)}.)"
    )
