"""The graph collections a TF1 Hub module's MetaGraphDef may hold, and which of them each
import keeps: the state import (`STATE_COLLECTIONS`, plus the trainable ones if trainable), an
application (`APPLY_COLLECTIONS`, plus UPDATE_OPS if trainable). `MODULE_COLLECTIONS` is every
collection a module may hold besides its attached messages (`NativeModuleSpec` refuses others).
"""

from __future__ import annotations

GLOBAL_VARIABLES = "variables"
TRAINABLE_VARIABLES = "trainable_variables"
MODEL_VARIABLES = "model_variables"
TABLE_INITIALIZERS = "table_initializer"
ASSET_FILEPATHS = "asset_filepaths"
COND_CONTEXT = "cond_context"
WHILE_CONTEXT = "while_context"
UPDATE_OPS = "update_ops"
REGULARIZATION_LOSSES = "regularization_losses"

STATE_COLLECTIONS = [
    GLOBAL_VARIABLES,
    MODEL_VARIABLES,
    TABLE_INITIALIZERS,
    ASSET_FILEPATHS,
    COND_CONTEXT,
    WHILE_CONTEXT,
]
APPLY_COLLECTIONS = [ASSET_FILEPATHS, COND_CONTEXT, WHILE_CONTEXT]
# Every collection a module's graph may hold, besides its attached messages.
MODULE_COLLECTIONS = [*STATE_COLLECTIONS, TRAINABLE_VARIABLES, UPDATE_OPS, REGULARIZATION_LOSSES]
