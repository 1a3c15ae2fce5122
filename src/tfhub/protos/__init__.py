"""Protocol messages of the TF1 Hub format, byte-compatible with upstream's `.proto` files.

There is no protoc at build time, so the descriptors are built at runtime from
FileDescriptorProtos that mirror upstream's `module_def.proto`, `module_attachment.proto` and
`image_module_info.proto` (package `tensorflow_hub`, same field numbers and types). They live in
a private descriptor pool, so they never clash with another library that registered the same
full names in protobuf's default pool (e.g. an old tensorflow_hub imported in the same process).
Only `google.protobuf` is imported here, never TensorFlow.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "tensorflow_hub"
_FIELD = descriptor_pb2.FieldDescriptorProto

# ModuleDef.Format values (upstream's enum ModuleDef.Format).
FORMAT_UNSPECIFIED = 0
FORMAT_V3 = 3


def _add_field(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    field_type: int,
    *,
    label: int = _FIELD.LABEL_OPTIONAL,
    type_name: str | None = None,
) -> None:
    field = message.field.add(name=name, number=number, type=field_type, label=label)
    field.json_name = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
    if type_name:
        field.type_name = type_name


def _module_def_file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow_hub/module_def.proto", package=_PACKAGE, syntax="proto3"
    )
    message = proto.message_type.add(name="ModuleDef")
    enum = message.enum_type.add(name="Format")
    enum.value.add(name="FORMAT_UNSPECIFIED", number=FORMAT_UNSPECIFIED)
    enum.value.add(name="FORMAT_V3", number=FORMAT_V3)
    _add_field(message, "format", 1, _FIELD.TYPE_ENUM, type_name=".tensorflow_hub.ModuleDef.Format")
    _add_field(message, "required_features", 2, _FIELD.TYPE_STRING, label=_FIELD.LABEL_REPEATED)
    return proto


def _module_attachment_file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow_hub/module_attachment.proto", package=_PACKAGE, syntax="proto3"
    )
    message = proto.message_type.add(name="ModuleAttachment")
    _add_field(message, "key", 1, _FIELD.TYPE_STRING)
    _add_field(message, "value", 2, _FIELD.TYPE_BYTES)
    return proto


def _image_module_info_file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow_hub/image_module_info.proto", package=_PACKAGE, syntax="proto3"
    )
    message = proto.message_type.add(name="ImageModuleInfo")
    input_size = message.nested_type.add(name="InputSize")
    _add_field(input_size, "height", 1, _FIELD.TYPE_INT32)
    _add_field(input_size, "width", 2, _FIELD.TYPE_INT32)
    input_size.reserved_range.add(start=3, end=4)
    _add_field(
        message,
        "default_image_size",
        1,
        _FIELD.TYPE_MESSAGE,
        type_name=".tensorflow_hub.ImageModuleInfo.InputSize",
    )
    return proto


def _build_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for file_proto in (_module_def_file(), _module_attachment_file(), _image_module_info_file()):
        pool.Add(file_proto)
    return pool


_POOL = _build_pool()


def _message_class(full_name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name))


ModuleDef: Any = _message_class("tensorflow_hub.ModuleDef")
ModuleAttachment: Any = _message_class("tensorflow_hub.ModuleAttachment")
ImageModuleInfo: Any = _message_class("tensorflow_hub.ImageModuleInfo")

__all__ = ["FORMAT_UNSPECIFIED", "FORMAT_V3", "ImageModuleInfo", "ModuleAttachment", "ModuleDef"]
