// LAPACK's C interface; the include path comes from pkg-config (`lapacke`).
#include <lapacke.h>
