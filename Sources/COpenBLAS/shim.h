// OpenBLAS's CBLAS interface and its threading controls; the include path comes from
// pkg-config (`openblas`), so no system path is written here.
#include <cblas.h>
