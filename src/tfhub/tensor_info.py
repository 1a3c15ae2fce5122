"""tensorflow_hub's `tensor_info` module path: `ParsedTensorInfo` (what
`ModuleSpec.get_input_info_dict()` returns) and the helpers on signature TensorInfo maps."""

from __future__ import annotations

from .tf1.tensor_info import (
    ParsedTensorInfo,
    build_input_map,
    build_output_map,
    convert_dict_to_compatible_tensor,
    parse_tensor_info_map,
    tensor_info_proto_maps_match,
)

__all__ = [
    "ParsedTensorInfo",
    "build_input_map",
    "build_output_map",
    "convert_dict_to_compatible_tensor",
    "parse_tensor_info_map",
    "tensor_info_proto_maps_match",
]
