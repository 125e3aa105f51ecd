"""VACASK, a third, independent engine for a crossbar's static operating point (see :mod:`.engine`)."""
