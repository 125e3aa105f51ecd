"""Memristor device models for both backends; see :mod:`memxbar.devices.base` for the design."""

from memxbar.devices.base import DeviceModel, DynamicModel, Parameter, StateVariable
from memxbar.devices.registry import MODELS, as_model, get_model, model_class

__all__ = [
    "MODELS",
    "DeviceModel",
    "DynamicModel",
    "Parameter",
    "StateVariable",
    "as_model",
    "get_model",
    "model_class",
]
