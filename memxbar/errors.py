"""Exception types that separate a user's mistake from a failure of the software."""


class InputError(ValueError):
    """An argument, option or input file is invalid; the message names it and says how to fix it."""


class NotComputedError(InputError):
    """A quantity was asked of a solution that does not hold what it needs (e.g. node
    voltages of an outputs-only solution); the message says how to obtain it."""


class ConvergenceError(RuntimeError):
    """An iterative solver did not converge; the message gives the residual and where it is largest."""


class AccuracyWarning(UserWarning):
    """A solution is less accurate than asked, because of the circuit's conditioning; the
    message says how many digits are left."""


class ReadDisturbWarning(UserWarning):
    """A read voltage would move a dynamic device's state, which a read at the programmed state ignores;
    the message says how many devices and by how much."""
