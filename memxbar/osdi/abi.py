"""ctypes structures of the Open Source Device Interface (OSDI 0.4, and the fields OSDI 0.5 adds).

An OSDI library (``.osdi``, made by OpenVAF from a Verilog-A file) exports
``OSDI_VERSION_MAJOR``/``_MINOR``, ``OSDI_NUM_DESCRIPTORS``, ``OSDI_DESCRIPTOR_SIZE`` (0.5) and the
array ``OSDI_DESCRIPTORS``: one :class:`OsdiDescriptor` per module, giving its nodes, parameters
and the functions that set up a model and an instance and evaluate it. Written after the header
``osdi_0_4.h`` of OpenVAF-Reloaded (github.com/arpadbuermen/OpenVAF, ``openvaf/osdi/header``),
which ngspice's ``src/spicelib/devices/osdi/osdidefs.h`` also follows. This module only declares
the layout; :mod:`memxbar.osdi.library` reads it.
"""

from __future__ import annotations

import ctypes as C

PARA_TY_MASK = 3
PARA_TY_REAL = 0
PARA_TY_INT = 1
PARA_TY_STR = 2
PARA_KIND_MASK = 3 << 30
PARA_KIND_INST = 1 << 30

ACCESS_FLAG_READ = 0
ACCESS_FLAG_SET = 1
ACCESS_FLAG_INSTANCE = 4

CALC_RESIST_RESIDUAL = 1
CALC_REACT_RESIDUAL = 2
CALC_RESIST_JACOBIAN = 4
CALC_REACT_JACOBIAN = 8
ANALYSIS_DC = 2048
ANALYSIS_STATIC = 32768

EVAL_RET_FLAG_FATAL = 2
INIT_ERR_OUT_OF_BOUNDS = 1

JACOBIAN_ENTRY_RESIST = 4
JACOBIAN_ENTRY_REACT = 8


class OsdiSimParas(C.Structure):
    _fields_ = [
        ("names", C.POINTER(C.c_char_p)),
        ("vals", C.POINTER(C.c_double)),
        ("names_str", C.POINTER(C.c_char_p)),
        ("vals_str", C.POINTER(C.c_char_p)),
    ]


class OsdiSimInfo(C.Structure):
    _fields_ = [
        ("paras", OsdiSimParas),
        ("abstime", C.c_double),
        ("prev_solve", C.c_void_p),
        ("prev_state", C.c_void_p),
        ("next_state", C.c_void_p),
        ("flags", C.c_uint32),
    ]


class OsdiInitError(C.Structure):
    _fields_ = [("code", C.c_uint32), ("parameter_id", C.c_uint32)]


class OsdiInitInfo(C.Structure):
    _fields_ = [("flags", C.c_uint32), ("num_errors", C.c_uint32), ("errors", C.POINTER(OsdiInitError))]


class OsdiNodePair(C.Structure):
    _fields_ = [("node_1", C.c_uint32), ("node_2", C.c_uint32)]


class OsdiJacobianEntry(C.Structure):
    _fields_ = [("nodes", OsdiNodePair), ("react_ptr_off", C.c_uint32), ("flags", C.c_uint32)]


class OsdiNode(C.Structure):
    _fields_ = [
        ("name", C.c_char_p),
        ("units", C.c_char_p),
        ("residual_units", C.c_char_p),
        ("resist_residual_off", C.c_uint32),
        ("react_residual_off", C.c_uint32),
        ("resist_limit_rhs_off", C.c_uint32),
        ("react_limit_rhs_off", C.c_uint32),
        ("is_flow", C.c_bool),
    ]


class OsdiParamOpvar(C.Structure):
    _fields_ = [
        ("name", C.POINTER(C.c_char_p)),
        ("num_alias", C.c_uint32),
        ("description", C.c_char_p),
        ("units", C.c_char_p),
        ("flags", C.c_uint32),
        ("len", C.c_uint32),
    ]


_P = C.c_void_p
ACCESS = C.CFUNCTYPE(_P, _P, _P, C.c_uint32, C.c_uint32)
SETUP_MODEL = C.CFUNCTYPE(None, _P, _P, C.POINTER(OsdiSimParas), C.POINTER(OsdiInitInfo))
SETUP_INSTANCE = C.CFUNCTYPE(
    None, _P, _P, _P, C.c_double, C.c_uint32, C.POINTER(OsdiSimParas), C.POINTER(OsdiInitInfo)
)
EVAL = C.CFUNCTYPE(C.c_uint32, _P, _P, _P, C.POINTER(OsdiSimInfo))
LOAD = C.CFUNCTYPE(None, _P, _P, _P)


class OsdiDescriptor(C.Structure):
    _fields_ = [
        ("name", C.c_char_p),
        ("num_nodes", C.c_uint32),
        ("num_terminals", C.c_uint32),
        ("nodes", C.POINTER(OsdiNode)),
        ("num_jacobian_entries", C.c_uint32),
        ("jacobian_entries", C.POINTER(OsdiJacobianEntry)),
        ("num_collapsible", C.c_uint32),
        ("collapsible", C.POINTER(OsdiNodePair)),
        ("collapsed_offset", C.c_uint32),
        ("noise_sources", _P),
        ("num_noise_src", C.c_uint32),
        ("num_params", C.c_uint32),
        ("num_instance_params", C.c_uint32),
        ("num_opvars", C.c_uint32),
        ("param_opvar", C.POINTER(OsdiParamOpvar)),
        ("node_mapping_offset", C.c_uint32),
        ("jacobian_ptr_resist_offset", C.c_uint32),
        ("num_states", C.c_uint32),
        ("state_idx_off", C.c_uint32),
        ("bound_step_offset", C.c_uint32),
        ("instance_size", C.c_uint32),
        ("model_size", C.c_uint32),
        ("access", ACCESS),
        ("setup_model", SETUP_MODEL),
        ("setup_instance", SETUP_INSTANCE),
        ("eval", EVAL),
        ("load_noise", _P),
        ("load_residual_resist", LOAD),
        ("load_residual_react", LOAD),
        ("load_limit_rhs_resist", _P),
        ("load_limit_rhs_react", _P),
        ("load_spice_rhs_dc", _P),
        ("load_spice_rhs_tran", _P),
        ("load_jacobian_resist", C.CFUNCTYPE(None, _P, _P)),
        ("load_jacobian_react", C.CFUNCTYPE(None, _P, _P, C.c_double)),
        ("load_jacobian_tran", _P),
        ("given_flag_model", _P),
        ("given_flag_instance", _P),
        ("num_resistive_jacobian_entries", C.c_uint32),
        ("num_reactive_jacobian_entries", C.c_uint32),
        ("write_jacobian_array_resist", LOAD),
        ("write_jacobian_array_react", LOAD),
        ("num_inputs", C.c_uint32),
        ("inputs", C.POINTER(OsdiNodePair)),
        ("load_jacobian_with_offset_resist", _P),
        ("load_jacobian_with_offset_react", _P),
    ]
