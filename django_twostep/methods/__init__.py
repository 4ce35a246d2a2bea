"""Second-factor methods as plug-ins: the protocol (:mod:`.base`) and the registry
(:mod:`.registry`, ``TWOSTEP_METHODS``). One package per built-in method."""

from .base import Kind, Method, Purpose
from .registry import (
    all_methods,
    backup_method,
    code_methods,
    get_method,
    method_names,
    method_of_device,
    primary_methods,
    sending_methods,
)

__all__ = [
    "Kind",
    "Method",
    "Purpose",
    "all_methods",
    "backup_method",
    "code_methods",
    "get_method",
    "method_names",
    "method_of_device",
    "primary_methods",
    "sending_methods",
]
