"""All device models by name, and ``get_model`` to make one with validated parameters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from memxbar.devices.base import DeviceModel
from memxbar.devices.hp import HPBiolek, HPJoglekar, HPLinear, HPProdromakis
from memxbar.devices.ohmic import Ohmic
from memxbar.devices.poole_frenkel import PooleFrenkel
from memxbar.devices.power_law import PowerLaw
from memxbar.devices.sinh import Sinh
from memxbar.devices.stanford import StanfordPku
from memxbar.devices.volatile import VolatileStp
from memxbar.devices.vteam import VteamExponential, VteamLinear
from memxbar.devices.yakopcic import Yakopcic
from memxbar.errors import InputError

MODELS: Mapping[str, type[DeviceModel]] = MappingProxyType(
    {
        model.name: model
        for model in (
            Ohmic,
            Sinh,
            PowerLaw,
            PooleFrenkel,
            HPLinear,
            HPJoglekar,
            HPBiolek,
            HPProdromakis,
            VteamLinear,
            VteamExponential,
            Yakopcic,
            StanfordPku,
            VolatileStp,
        )
    }
)
"""Device model classes by name (what ``--device`` accepts), in listing order."""


def model_class(name: str) -> type[DeviceModel]:
    """The model class registered as ``name``.

    Raises:
        InputError: If no model has that name.
    """
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise InputError(f"device model {name!r} is unknown; choose one of: {', '.join(MODELS)}") from None


def get_model(name: str, **params: object) -> DeviceModel:
    """A device model with the given parameters, the others at their defaults.

    Args:
        name: A key of :data:`MODELS`, e.g. ``"sinh"``.
        **params: Parameter values: numbers, or (M, N) arrays of per-device values.

    Returns:
        The model instance.

    Raises:
        InputError: If the model or a parameter is unknown, or a value is out of range.
    """
    return model_class(name)(**params)


def as_model(device: DeviceModel | str) -> DeviceModel:
    """A model instance from an instance or a model name (with default parameters)."""
    if isinstance(device, DeviceModel):
        return device
    if isinstance(device, str):
        return get_model(device)
    raise InputError(f"device must be a model name or a memxbar.devices model, got {type(device).__name__}")
