"""Transient single-device characterisation: a periodic voltage on one dynamic device, integrated
in ngspice and in SciPy, and the agreement of the two."""
