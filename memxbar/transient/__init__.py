"""Transient simulation of whole crossbars: line capacitance, stimuli on every terminal, dynamic devices."""

from memxbar.transient.fast import TransientOptions
from memxbar.transient.run import transient
from memxbar.transient.stimulus import Dc, Pulse, Pwl, Sine, Stimulus, make_stimulus, read_pulse, write_pulse
from memxbar.transient.waveforms import Waveforms, compare_waveforms

__all__ = ["Dc", "Pulse", "Pwl", "Sine", "Stimulus", "TransientOptions", "Waveforms", "compare_waveforms",
           "make_stimulus", "read_pulse", "transient", "write_pulse"]
