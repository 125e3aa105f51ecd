"""The compiled circuit between a crossbar specification and both backends.

:mod:`~memxbar.circuit.bias` validates the terminal conditions, :mod:`~memxbar.circuit.cells` defines
what sits at each crosspoint, :mod:`~memxbar.circuit.elements` and :mod:`~memxbar.circuit.mosfet` hold
the typed element arrays, and :mod:`~memxbar.circuit.compile` numbers the nodes and builds them.
"""
