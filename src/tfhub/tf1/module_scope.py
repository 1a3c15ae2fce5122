"""A module's scope in the graph: its name checked, an unused scope chosen, taken ones refused.

`hub.Module(spec, name=...)` imports the module's state graph under a fresh variable scope
("parent/name_N/") and each application under "<name>_apply_<signature>": TensorFlow must be able
to import a graph there, and the scope must not already hold the user's ops or variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf


def check_scope_name(name: Any, abs_state_scope: str | None = None) -> None:
    """Refuses a module name TensorFlow cannot import a graph under.

    Args:
        name: the `name` given to hub.Module.
        abs_state_scope: the absolute scope it became ("outer/name/"), once known.

    Raises:
        tfhub.errors.ArgumentTypeError: if `name` is not a string.
        tfhub.errors.ArgumentError: if it is empty (an IndexError deep inside), starts or ends
            with "/" (upstream refused "/m"; "m/" failed with a bare KeyError), or the scope or
            its last part (the module's own name: `encoders/2019/`, `a/1b/`) starts with a
            digit: TensorFlow's `prepend_name_scope` then builds the regular expression
            replacement "\\1" + "1abc" and fails with `re.error` (or, for "\\120...", names
            another scope and fails with a KeyError at the module's first application).
    """
    if not isinstance(name, str):
        raise errors.ArgumentTypeError(
            f"hub.Module needs a string name. Received: name={name!r} of type {type(name).__name__}"
        )
    if not name:
        raise errors.ArgumentError("hub.Module needs a non-empty name. Received: name=''")
    if name.startswith("/") or name.endswith("/"):  # "m/" failed with a bare KeyError.
        raise errors.ArgumentError(
            "hub.Module's name is a variable scope name inside the current one: it cannot "
            "start or end with '/' (use tf.compat.v1.variable_scope(...) around hub.Module to "
            f"nest it). Received: name={name!r}"
        )
    if not abs_state_scope:
        return
    last = abs_state_scope.rstrip("/").split("/")[-1]
    _check_scope_characters(name, abs_state_scope, last)
    # The graph is imported with the scope's last part as its relative scope (and
    # "<last part>_apply_<signature>" when applied): TensorFlow reads "\\1" + "2019..." as
    # the escape "\\120" (a "P") or a group reference there too.
    if abs_state_scope[0].isdigit() or last[:1].isdigit():
        what = f"a scope that starts with a digit ({abs_state_scope!r})"
        if not abs_state_scope[0].isdigit():
            what = f"a name that starts with a digit ({last!r}, in the scope {abs_state_scope!r})"
        raise errors.ArgumentError(
            f"TensorFlow cannot import a module under {what}; start the module's name (or its "
            f"outer variable scope) with a letter. Received: name={name!r}"
        )


# What TensorFlow takes in a name scope ("/" separates its parts), and how a scope it imports a
# graph under (the module's first and last part: "<last part>_apply_<signature>" may be a root
# scope) must start (tensorflow/python/framework/ops.py, _VALID_OP_NAME_REGEX; a backslash,
# which that allows, makes the import fail with "would lead to invalid node names").
_SCOPE_CHARACTERS = re.compile(r"[A-Za-z0-9_.\->/]*")
_ROOT_SCOPE_START = re.compile(r"[A-Za-z0-9.]")


def _check_scope_characters(name: str, abs_state_scope: str, last: str) -> None:
    """Refuses a module scope TensorFlow cannot import a graph under, or apply it under.

    Raises:
        tfhub.errors.ArgumentError: if the scope holds a character a scope name cannot (a
            space, ":", "\\", a non-ASCII letter), or its first or last part starts with "_"
            or "-": TensorFlow's bare ValueError ("... is not a valid root scope name") came
            at the import, or for the last part only at the module's first application.
    """
    if (
        _SCOPE_CHARACTERS.fullmatch(abs_state_scope)
        and _ROOT_SCOPE_START.match(abs_state_scope)
        and _ROOT_SCOPE_START.match(last)
    ):
        return
    raise errors.ArgumentError(
        f"TensorFlow cannot import a module under the scope {abs_state_scope!r}: a scope name "
        "takes only ASCII letters, digits, '_', '.', '-' and '>' (and '/' between its parts), "
        "and the module's own name (and its outer variable scope) must start with a letter or "
        f"'.'. Give hub.Module another name=. Received: name={name!r}"
    )


def scope_part(signature: str) -> str:
    """`signature` as part of a name scope: each character TensorFlow refuses in a scope name
    (":", a space, a non-ASCII letter) and "/" (which would open a sub-scope) becomes "_"."""
    return re.sub(r"[^A-Za-z0-9_.\->]", "_", signature)


def refuse_foreign_variables(tensor_map: Mapping[str, Any], meta_graph: Any, scope: str) -> None:
    """Refuses a module scope that already held a variable of the user's before the module's
    graph was imported into it (e.g. `tf.compat.v1.Variable(0, name="module/step")`).

    Args:
        tensor_map: {name under the scope: variable} of the variables found under `scope`.
        meta_graph: the module's MetaGraphDef, whose nodes are the module's.
        scope: the module's absolute scope ("module").

    Raises:
        tfhub.errors.ModuleScopeTakenError: (a ValueError) naming the variable and what to do.
    """
    nodes = {node.name for node in meta_graph.graph_def.node}
    foreign = sorted(
        name for name, var in tensor_map.items() if var.op.name[len(scope) + 1 :] not in nodes
    )
    if foreign:
        shown = ", ".join(f"{scope}/{name}" for name in foreign[:5])
        raise errors.ModuleScopeTakenError(
            f"The variable scope {scope!r} of this hub.Module already holds variables that "
            f"are not the module's: {shown} (made before the module, e.g. by "
            f"tf.compat.v1.Variable(..., name='{scope}/...')). Give the hub.Module another "
            f"name= (or the variable another name). Received: scope={scope!r}"
        )


def state_scope(name: str) -> str:
    """Returns an unused absolute scope "parent/name_N/" for the module's state.

    Raises:
        tfhub.errors.ModuleGraphError: (a RuntimeError) if the variable scope is free but its
            name scope is already taken.
    """
    current = tf.compat.v1.get_variable_scope().name
    with tf.name_scope(current + "/" if current else ""):
        with tf.compat.v1.variable_scope(
            None, default_name=name, auxiliary_name_scope=False
        ) as scope:
            abs_state_scope = scope.name + "/"
        graph = tf.compat.v1.get_default_graph()
        unique_name_scope = graph.unique_name(name, mark_as_used=False) + "/"
        if unique_name_scope != abs_state_scope:
            raise errors.ModuleGraphError(
                f"variable_scope {abs_state_scope} was unused but the corresponding name_scope was "
                f"already taken. ({_why_scope_taken(abs_state_scope)}) Received: name={name!r}"
            )
    return abs_state_scope


def _why_scope_taken(abs_state_scope: str) -> str:
    """Why the module's free variable scope has a taken name scope, and what to do: a module
    made in a replica function of a distribution strategy (each replica makes it again), a
    variable scope re-entered with reuse, an earlier module (or variable) of a variable scope
    entered again (its default names restart), or ops of the graph (an op named like the
    module, or made under `tf.name_scope` of its name)."""
    if _in_replica_function():
        return (
            "The hub.Module is made inside a distribution strategy's replica function, which "
            "each replica runs again: create the hub.Module once, in strategy.scope() before "
            "strategy.run, and apply it in the replica function (its variables are shared by "
            "the replicas)."
        )
    if tf.compat.v1.get_variable_scope().reuse:
        return (
            "This happens when a variable scope is re-entered, e.g. with reuse=True or "
            "tf.compat.v1.AUTO_REUSE: hub.Module does not share variables through scopes. Apply "
            "one hub.Module several times to share its variables, or give each hub.Module its "
            "own name=."
        )
    if any(v.name.startswith(abs_state_scope) for v in tf.compat.v1.global_variables()):
        return (
            f"Variables of an earlier hub.Module (or of yours) hold {abs_state_scope!r}: a "
            "variable scope entered again (e.g. `with tf.compat.v1.variable_scope("
            "tf.compat.v1.get_variable_scope()):` in a tower loop, or two `with "
            "variable_scope(...)` blocks of one name) restarts its default names, so this "
            "hub.Module got the same one. Create one hub.Module and apply it in every tower to "
            "share its variables, or give each hub.Module its own name= (e.g. name='module_1')."
        )
    return (
        f"Ops of the graph already use the name scope {abs_state_scope!r} (an op named "
        f"{abs_state_scope[:-1]!r}, or ops made under tf.name_scope of that name): give the "
        "hub.Module a name= that no op of the graph uses."
    )


def _in_replica_function() -> bool:
    """Whether this runs in the replica function of a strategy with several replicas."""
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return False
    return bool(tf.distribute.get_strategy().num_replicas_in_sync > 1)
