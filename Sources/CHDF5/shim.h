// libhdf5 (Debian's serial build) for the Features module. The type ids and property-list
// defaults are macros over globals that only exist after H5open(), so they are re-exposed here.
#ifndef DANMAKU_CHDF5_SHIM_H
#define DANMAKU_CHDF5_SHIM_H

#include <hdf5.h>

/// `H5P_DEFAULT`: the default property list.
static inline hid_t danmaku_h5p_default(void) { return H5P_DEFAULT; }
/// `H5F_ACC_RDONLY`: open a file read-only.
static inline unsigned danmaku_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
/// `H5T_NATIVE_FLOAT`: the machine's `float`.
static inline hid_t danmaku_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
/// `H5T_NATIVE_DOUBLE`: the machine's `double`.
static inline hid_t danmaku_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
/// `H5T_NATIVE_INT64`.
static inline hid_t danmaku_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
/// `H5S_ALL`: the whole dataspace.
static inline hid_t danmaku_h5s_all(void) { return H5S_ALL; }
/// Silence libhdf5's automatic error stack printing: errors are reported by the caller.
static inline void danmaku_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
