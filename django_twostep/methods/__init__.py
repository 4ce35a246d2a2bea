"""Second-factor methods as plug-ins: the protocol (:mod:`.base`) and the registry
(:mod:`.registry`, ``TWOSTEP_METHODS``). One package per built-in method."""

from .base import Kind, Method
from .registry import (
    all_methods,
    code_methods,
    get_method,
    method_names,
    method_of_device,
    primary_methods,
)

__all__ = [
    "Kind",
    "Method",
    "all_methods",
    "code_methods",
    "get_method",
    "method_names",
    "method_of_device",
    "primary_methods",
]
