// zlib's inflate interface, for gzipped IDX files; paths from pkg-config (`zlib`).
#include <zlib.h>
