// MeCab's C API for the Comments module. libmecab ships no pkg-config file; its header is
// /usr/include/mecab.h on Debian (libmecab-dev). Its node kinds (MECAB_NOR_NODE, …) are enum
// constants, which Swift imports as they are.
#ifndef DANMAKU_CMECAB_SHIM_H
#define DANMAKU_CMECAB_SHIM_H

#include <mecab.h>

#endif
