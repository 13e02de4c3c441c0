// OpenBLAS's CBLAS interface for the Tensor module (the only module that calls cblas_*).
#ifndef DANMAKU_CBLAS_SHIM_H
#define DANMAKU_CBLAS_SHIM_H

#include <cblas.h>

#endif
