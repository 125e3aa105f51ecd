"""Physical constants, exact in the SI since 2019 (the same values as ``scipy.constants``, which is
slow to import)."""

ELEMENTARY_CHARGE = 1.602176634e-19
"""Elementary charge q in coulombs (C)."""
BOLTZMANN = 1.380649e-23
"""Boltzmann constant k in joules per kelvin (J/K)."""
ZERO_CELSIUS = 273.15
"""0 °C in kelvins (K)."""
