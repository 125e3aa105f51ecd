"""Verilog-A models compiled to OSDI: the compiler (:mod:`.compiler`), the ABI (:mod:`.abi`) and
evaluation of many instances (:mod:`.library`)."""
