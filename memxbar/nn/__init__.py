"""Neural networks on simulated crossbars: mapping, nonidealities, energy, inference and training.

Modules, one concern each:

- :mod:`~memxbar.nn.devices`: device sets (conductance range, I–V nonlinearity drawn per device);
- :mod:`~memxbar.nn.mapping`: weights ↔ conductances, inputs → read voltages, currents → outputs, tiling;
- :mod:`~memxbar.nn.nonidealities`: seeded, composable nonideality models with their sources;
- :mod:`~memxbar.nn.energy`: energy per VMM and per inference from the solved circuit, TOPS/W;
- :mod:`~memxbar.nn.network`: an MLP, its layers programmed onto crossbars and run through the circuit;
- :mod:`~memxbar.nn.data`: scikit-learn's bundled digits, or MNIST from the user's own files;
- :mod:`~memxbar.nn.training` (needs the ``nn`` extra, JAX): plain and nonideality-aware training,
  with the circuit solve as a differentiable operation (:mod:`~memxbar.nn.jax_circuit`);
- :mod:`~memxbar.nn.study`: the study behind ``memxbar nn``.

Conventions: a layer's weight matrix is (K, N) with K = inputs + 1 (the last row is the bias,
driven by a constant input 1); samples are rows in the network code, (B, K), and columns at the
circuit, (K, B), as everywhere in memxbar. SI units.
"""
