"""The ngspice backend and the handling of the ngspice shared library."""
