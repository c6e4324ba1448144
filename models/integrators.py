"""Extra Brian2 integration methods: Fehlberg's 4(5) Runge-Kutta pair at a fixed step (``rkf45``).

NEST integrates ``astrocyte_lr_1994`` and ``aeif_cond_alpha_astro`` with GSL's ``rkf45`` stepper under
adaptive step control, bounded by the simulation step: each step of length ``dt`` is covered by one
Fehlberg step of length ``dt`` unless the error estimate forces a split. GSL advances with the
fifth-order solution of the pair. :data:`rkf45` is that same Fehlberg step at a fixed ``dt``, as a Brian2
explicit state updater: where NEST does not split a step (slow dynamics; or a loose tolerance),
the two computations are the same arithmetic up to rounding.

Coefficients: Fehlberg (1969), NASA TR R-315, Table III (the 4(5) pair); Hairer, Norsett & Wanner,
*Solving ODEs I*, Table II.5.5 in the GSL convention (fifth-order weights 16/135, 0, 6656/12825,
28561/56430, -9/50, 2/55).
"""
from brian2.stateupdaters.base import StateUpdateMethod
from brian2.stateupdaters.explicit import ExplicitStateUpdater

__all__ = ["rkf45"]

#: Fehlberg's six stages, advanced with the fifth-order weights (as GSL's ``rkf45`` does).
rkf45 = ExplicitStateUpdater("""
k_1 = dt*f(x, t)
k_2 = dt*f(x + k_1/4, t + dt/4)
k_3 = dt*f(x + 3*k_1/32 + 9*k_2/32, t + 3*dt/8)
k_4 = dt*f(x + 1932*k_1/2197 - 7200*k_2/2197 + 7296*k_3/2197, t + 12*dt/13)
k_5 = dt*f(x + 439*k_1/216 - 8*k_2 + 3680*k_3/513 - 845*k_4/4104, t + dt)
k_6 = dt*f(x - 8*k_1/27 + 2*k_2 - 3544*k_3/2565 + 1859*k_4/4104 - 11*k_5/40, t + dt/2)
x_new = x + 16*k_1/135 + 6656*k_3/12825 + 28561*k_4/56430 - 9*k_5/50 + 2*k_6/55
""")

if "rkf45" not in StateUpdateMethod.stateupdaters:
    StateUpdateMethod.register("rkf45", rkf45)
